public import GeoLensTensor

/// A tensor whose value is known without running the graph: an initializer, a `Constant` node's
/// value, or the result of folding the integer shape subgraph.
///
/// Floating-point values (float, float16, bfloat16, double) are held as a Float32 `Tensor`;
/// integer and boolean values as `[Int]` in row-major order, since they describe shapes, axes,
/// pads and indices.
public struct ONNXConstant: Sendable {
    /// Where the elements live.
    public enum Storage: Sendable {
        case float(Tensor)
        case integer([Int])
    }

    /// The element type declared in the model (or produced by folding).
    public let elementType: ONNXElementType
    /// The dimensions; `[]` for a scalar.
    public let shape: [Int]
    public let storage: Storage

    /// A floating-point constant holding `tensor` (its shape is the constant's shape).
    public init(_ tensor: Tensor, elementType: ONNXElementType = .float) {
        self.elementType = elementType
        self.shape = tensor.shape
        self.storage = .float(tensor)
    }

    /// An integer constant; `values.count` must equal the element count of `shape`.
    public init(integers values: [Int], shape: [Int], elementType: ONNXElementType = .int64) {
        precondition(values.count == Shape.count(shape),
                     "ONNXConstant: \(values.count) integers do not fill shape \(shape)")
        self.elementType = elementType
        self.shape = shape
        self.storage = .integer(values)
    }

    /// A one-dimensional int64 constant.
    public init(int64s values: [Int]) {
        self.init(integers: values, shape: [values.count])
    }

    /// Number of elements.
    public var count: Int { Shape.count(shape) }

    /// The Float32 tensor of a floating-point constant, nil for integer constants.
    public var floatTensor: Tensor? {
        if case .float(let tensor) = storage { return tensor }
        return nil
    }

    /// The values of an integer constant, nil for floating-point ones.
    public var integers: [Int]? {
        if case .integer(let values) = storage { return values }
        return nil
    }

    /// Every element as a Float (integers converted).
    public var floats: [Float] {
        switch storage {
        case .float(let tensor): return tensor.scalars
        case .integer(let values): return values.map { Float($0) }
        }
    }

    /// `value` truncated toward zero, saturating at the ends of `Int` (NaN becomes 0) so that
    /// values read from a file can never trap.
    static func saturatingInt(_ value: Float) -> Int {
        if value.isNaN { return 0 }
        if value >= 0x1p63 { return Int.max }
        if value < -0x1p63 { return Int.min }
        return Int(value)
    }

    /// Every element as an Int (floats truncated toward zero, as ONNX `Cast` does).
    public var ints: [Int] {
        switch storage {
        case .integer(let values): return values
        case .float(let tensor):
            return tensor.scalars.map(Self.saturatingInt)
        }
    }
}
