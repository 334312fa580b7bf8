/// Work splitting shared by the neural-network kernels: elementwise maps in contiguous chunks
/// and per-plane loops over NCHW tensors, both spread with `Parallel.forEach` only when the
/// tensor is large enough for threads to pay off.
enum ParallelKernels {
    /// Elements one worker handles at least; smaller tensors run on the calling thread.
    static let grain = 1 << 15

    /// Calls `body` with disjoint ranges covering `0..<count`, in parallel for large counts.
    @inline(__always)
    static func forEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
        let chunks = (count + grain - 1) / grain
        if chunks <= 1 {
            body(0..<count)
            return
        }
        Parallel.forEach(chunks) { c in
            body(c * grain ..< Swift.min(count, (c + 1) * grain))
        }
    }

    /// Calls `body(plane)` for every plane index, grouping planes so each worker gets at least `grain` elements.
    @inline(__always)
    static func forEachPlane(_ planes: Int, planeSize: Int, _ body: (Int) -> Void) {
        let perWorker = Swift.max(1, grain / Swift.max(planeSize, 1))
        Parallel.forEach(planes, minimumWork: perWorker, body)
    }
}

/// NCHW facts shared by the spatial ops.
struct PlaneLayout {
    /// Product of all axes before the last two (images times channels).
    let planes: Int
    let height: Int
    let width: Int

    /// Views the last two axes of `shape` as planes; traps naming `op` and the shape when rank < 2.
    init(_ shape: [Int], op: String, minimumRank: Int = 3) {
        precondition(shape.count >= minimumRank,
                     "\(op): expected a tensor of rank >= \(minimumRank) with spatial last two axes, got shape \(shape)")
        height = shape[shape.count - 2]
        width = shape[shape.count - 1]
        planes = Shape.count(Array(shape.dropLast(2)))
    }

    var planeSize: Int { height * width }

    /// `shape` with its last two axes replaced.
    static func shape(_ shape: [Int], height: Int, width: Int) -> [Int] {
        Array(shape.dropLast(2)) + [height, width]
    }
}

/// A scalar function as a value, so generic kernels specialize for it (closures would cost a call per element).
protocol ElementwiseFunction: Sendable {
    func callAsFunction(_ x: Float) -> Float
    /// Writes `f(x[i])` for `i < count` with a vector kernel and returns true, or returns false
    /// when the function has none (the default) and the scalar loop should run.
    func applyVectorized(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) -> Bool
}

extension ElementwiseFunction {
    func applyVectorized(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) -> Bool { false }
}

/// A scalar function of two values, as a value type for the same reason.
protocol ElementwiseCombination: Sendable {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

/// a + b.
struct Sum: ElementwiseCombination {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b }
}

/// a - b.
struct Difference: ElementwiseCombination {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b }
}

/// a * b.
struct Product: ElementwiseCombination {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b }
}

/// a / b.
struct Quotient: ElementwiseCombination {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b }
}

extension Tensor {
    /// `f` applied to every element, off the tape, in parallel chunks for large tensors.
    func mapChunked<F: ElementwiseFunction>(_ f: F) -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { x in
                ParallelKernels.forEachChunk(out.count) { range in
                    guard !range.isEmpty else { return }
                    if f.applyVectorized(x.baseAddress! + range.lowerBound, out.baseAddress! + range.lowerBound, count: range.count) { return }
                    for i in range { out[i] = f(x[i]) }
                }
            }
        }
    }

    /// `f(self[i], other[i])` for tensors of one shape, off the tape, in parallel chunks.
    func zipChunked<F: ElementwiseCombination>(_ other: Tensor, _ f: F) -> Tensor {
        precondition(shape == other.shape, "elementwise: shapes \(shape) and \(other.shape) differ")
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { a in
                other.withUnsafeBufferPointer { b in
                    ParallelKernels.forEachChunk(out.count) { range in
                        for i in range { out[i] = f(a[i], b[i]) }
                    }
                }
            }
        }
    }

    /// True when an op on this tensor will be recorded, so kernels know whether to keep backward state.
    /// Parameter leaves inside `GradientMode.withoutParameterGradients` count as constants.
    var willRecord: Bool {
        guard let node, GradientMode.isEnabled else { return false }
        return !node.isParameter || GradientMode.parameterGradientsEnabled
    }
}

/// Per-channel vectors (batch-norm statistics, affine weights) read as plain arrays.
extension Tensor {
    /// The elements of a rank-1 tensor of `expected` elements; traps naming `op`, `role` and both shapes.
    func channelVector(_ expected: Int, op: String, role: String, input: [Int]) -> [Float] {
        precondition(shape == [expected],
                     "\(op): \(role) has shape \(shape), expected [\(expected)] for input of shape \(input)")
        return scalars
    }
}
