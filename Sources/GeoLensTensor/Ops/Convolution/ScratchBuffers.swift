
/// Reusable, 64-byte aligned Float scratch memory for convolution workers (im2col columns,
/// per-worker weight-gradient accumulators).
///
/// A worker checks a buffer out for the duration of one unit of work and gives it back, so
/// steady-state inference allocates nothing per call: the pool keeps as many buffers as workers
/// ever ran at once, each grown to the largest size asked for.
final class ScratchBuffers: Sendable {
    /// One owned allocation.
    final class Buffer: @unchecked Sendable {
        private(set) var capacity: Int
        private(set) var base: UnsafeMutablePointer<Float>

        init(capacity: Int) {
            self.capacity = Swift.max(capacity, 16)
            base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: self.capacity)
        }

        /// Grows the allocation to at least `count` floats (contents are not kept).
        func reserve(_ count: Int) {
            guard count > capacity else { return }
            UnsafeMutableRawPointer(base).deallocate()
            capacity = count
            base = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
        }

        deinit { UnsafeMutableRawPointer(base).deallocate() }
    }

    /// Buffers not checked out right now.
    private let idle = Locked<[Buffer]>([])
    /// Idle buffers above this many are freed instead of kept.
    private let keepAtMost: Int

    init(keepAtMost: Int = 8) { self.keepAtMost = keepAtMost }

    /// The pool shared by the convolution kernels.
    static let shared = ScratchBuffers()

    /// Runs `body` with `count` floats of uninitialized scratch memory that no other worker touches.
    func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let buffer = idle.withLock { $0.popLast() } ?? Buffer(capacity: count)
        buffer.reserve(count)
        defer {
            idle.withLock { buffers in
                if buffers.count < keepAtMost { buffers.append(buffer) }
            }
        }
        return try body(buffer.base)
    }
}
