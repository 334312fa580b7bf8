
/// The contiguous Float32 buffer behind one or more `Tensor` values.
///
/// Storage is shared between tensor values until one of them is mutated; the
/// mutating value then copies (copy-on-write, see `Tensor.withUnsafeMutableBufferPointer`).
/// Buffers are 64-byte aligned so BLAS and SIMD loads never straddle cache lines.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
    @usableFromInline let count: Int
    @usableFromInline let base: UnsafeMutablePointer<Float>
    /// Keeps foreign memory (a memory-mapped file) alive when the storage does not own `base`.
    private let owner: AnyObject?
    /// True when the storage allocated `base` itself (and so may be written).
    @usableFromInline let ownsMemory: Bool
    /// Data computed from the scalars and reused while they do not change (Winograd-transformed
    /// convolution filters), by key. Cleared before every in-place mutation.
    private let derived = Locked<[String: [Float]]>([:])
    /// Where the memory came from when not from the heap (`PlannedMemory`), to give it back there.
    private let slot: AllocationSlot?

    /// Allocates uninitialized storage for `count` scalars: from the thread's planned memory
    /// when a `PlannedMemory` run is active and plans this allocation, else from the heap.
    @usableFromInline
    init(count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        self.owner = nil
        self.ownsMemory = true
        if count >= 1024, let source = AllocationScope.current, count >= source.minimumCount,
           let (pointer, slot) = source.allocate(count: count) {
            self.base = pointer
            self.slot = slot
        } else {
            self.base = Self.allocateScalars(count)
            self.slot = nil
        }
    }

    /// 64-byte aligned heap memory for `count` scalars (at least one).
    static func allocateScalars(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Wraps memory owned by `owner` (for example a memory-mapped checkpoint) without copying.
    init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.count = count
        self.base = pointer
        self.owner = owner
        self.ownsMemory = false
        self.slot = nil
    }

    deinit {
        if let slot {
            slot.source.release(base, slot: slot)
        } else if ownsMemory {
            UnsafeMutableRawPointer(base).deallocate()
        }
    }

    /// The value cached under `key`, made by `make` on first use.
    func derived(_ key: String, _ make: () -> [Float]) -> [Float] {
        if let cached = derived.withLock({ $0[key] }) { return cached }
        let value = make()
        derived.withLock { $0[key] = value }
        return value
    }

    /// Drops every derived value (the scalars are about to change in place).
    @usableFromInline
    func invalidateDerived() {
        derived.withLock { $0.removeAll() }
    }

    /// A private copy of the scalars.
    @usableFromInline
    func copy() -> TensorStorage {
        let other = TensorStorage(count: count)
        other.base.update(from: base, count: count)
        return other
    }

    @usableFromInline
    var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: base, count: count)
    }
}
