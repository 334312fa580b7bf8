/// The element types of ONNX tensors (the `TensorProto.DataType` numbers).
///
/// GeoLens computes in Float32: float, float16, bfloat16 and double tensors become Float32
/// `Tensor`s; integer and boolean tensors are kept as `[Int]` because they feed shape arithmetic.
public enum ONNXElementType: Int, Sendable, CustomStringConvertible {
    case undefined = 0
    case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7
    case string = 8, bool = 9, float16 = 10, double = 11, uint32 = 12, uint64 = 13
    case complex64 = 14, complex128 = 15, bfloat16 = 16

    /// The type for a raw `TensorProto.DataType` value, `.undefined` for numbers GeoLens does not know.
    public init(code: Int) { self = ONNXElementType(rawValue: code) ?? .undefined }

    /// Whether values of this type are held as Float32 tensors.
    public var isFloatingPoint: Bool {
        switch self {
        case .float, .float16, .double, .bfloat16: return true
        default: return false
        }
    }

    /// Whether values of this type are held as integers (booleans count as 0 and 1).
    public var isInteger: Bool {
        switch self {
        case .uint8, .int8, .uint16, .int16, .int32, .int64, .bool, .uint32, .uint64: return true
        default: return false
        }
    }

    /// Bytes per element in `raw_data`, nil for variable-size types (strings).
    var byteWidth: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16, .float16, .bfloat16: return 2
        case .float, .int32, .uint32: return 4
        case .double, .int64, .uint64, .complex64: return 8
        case .complex128: return 16
        case .string, .undefined: return nil
        }
    }

    public var description: String {
        switch self {
        case .undefined: return "undefined"
        case .float: return "float32"
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .string: return "string"
        case .bool: return "bool"
        case .float16: return "float16"
        case .double: return "float64"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .complex64: return "complex64"
        case .complex128: return "complex128"
        case .bfloat16: return "bfloat16"
        }
    }
}
