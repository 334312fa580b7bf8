/// A dense, row-major Float32 tensor (images are NCHW) with copy-on-write storage.
///
/// `Tensor` is a value: copies share storage until one of them is written. When
/// gradient recording is on and an input requires a gradient, every op attaches
/// a `GradNode` to its result so that `gradients(of:wrt:)` can run the pullbacks
/// in reverse. Tensors that do not require gradients carry no tape at all, so
/// inference pays nothing for autograd.
public struct Tensor: Sendable {
    /// The extent of each dimension; `[]` for a scalar.
    public let shape: [Int]
    @usableFromInline var storage: TensorStorage
    /// The tape node that produced this value, or the leaf node of a watched tensor.
    @usableFromInline var node: GradNode?

    @usableFromInline
    init(shape: [Int], storage: TensorStorage, node: GradNode? = nil) {
        precondition(storage.count == Shape.count(shape),
                     "Tensor: storage of \(storage.count) elements does not fit shape \(shape)")
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// A tensor of `shape` holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        precondition(scalars.count == Shape.count(shape),
                     "Tensor: \(scalars.count) scalars do not fill shape \(shape) (\(Shape.count(shape)) elements)")
        let storage = TensorStorage(count: scalars.count)
        scalars.withUnsafeBufferPointer { src in
            if let p = src.baseAddress { storage.base.update(from: p, count: src.count) }
        }
        self.init(shape: shape, storage: storage)
    }

    /// A tensor of `shape` with every element equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        let storage = TensorStorage(count: Shape.count(shape))
        storage.base.initialize(repeating: value, count: storage.count)
        self.init(shape: shape, storage: storage)
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) { self.init(shape: shape, repeating: 0) }

    /// A rank-0 tensor.
    public init(_ scalar: Float) { self.init(shape: [], scalars: [scalar]) }

    /// A tensor of `shape` whose elements are written by `initializer`, which must set every element.
    @inlinable
    public init(shape: [Int], unsafeUninitializedBuffer initializer: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
        let storage = TensorStorage(count: Shape.count(shape))
        try initializer(storage.buffer)
        self.init(shape: shape, storage: storage)
    }

    /// Wraps memory owned by `owner` (e.g. a memory-mapped file) without copying it.
    /// The tensor copies on its first write, so the foreign memory is only ever read.
    public init(shape: [Int], borrowing pointer: UnsafeMutablePointer<Float>, owner: AnyObject) {
        self.init(shape: shape, storage: TensorStorage(borrowing: pointer, count: Shape.count(shape), owner: owner))
    }

    // MARK: Facts

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// Number of elements.
    @inlinable public var count: Int { storage.count }
    /// The elements in row-major order.
    public var scalars: [Float] { Array(storage.buffer) }
    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements, not 1")
        return storage.base[0]
    }

    // MARK: Access

    /// Reads the elements in place.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// Writes the elements in place, copying the storage first if another value shares it.
    /// The tensor keeps its tape identity (a parameter stays the same parameter after an update).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) || !storage.ownsMemory {
            storage = storage.copy()
        } else {
            storage.invalidateDerived()
        }
        return try body(storage.buffer)
    }

    /// The same elements viewed with another shape (no copy). One dimension may be `-1`.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let unknown = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().reduce(1) { $1.offset == unknown ? $0 : $0 * $1.element }
            precondition(known > 0 && count % known == 0,
                         "reshape: cannot view shape \(shape) as \(newShape)")
            resolved[unknown] = count / known
        }
        precondition(Shape.count(resolved) == count && resolved.allSatisfy { $0 >= 0 },
                     "reshape: cannot view shape \(shape) (\(count) elements) as \(newShape)")
        let result = Tensor(shape: resolved, storage: storage)
        let inputShape = shape
        return Tape.record(result, op: "reshape", self) { g in g.reshaped(inputShape) }
    }

    /// Collapses dimensions `from...` into one.
    public func flattened(from axis: Int = 1) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "flatten")
        return reshaped(Array(shape[..<a]) + [Shape.count(Array(shape[a...]))])
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}
