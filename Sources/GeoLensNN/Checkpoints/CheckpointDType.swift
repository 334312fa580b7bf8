/// The element types checkpoints store, named as safetensors names them.
///
/// Float types are converted to Float32 `Tensor` values when read; integer and boolean types are
/// kept exactly as `IntegerTensor` values (for example batch norm's `num_batches_tracked`).
public enum CheckpointDType: String, Sendable, CaseIterable {
    case float64 = "F64", float32 = "F32", float16 = "F16", bfloat16 = "BF16"
    case int64 = "I64", int32 = "I32", int16 = "I16", int8 = "I8", uint8 = "U8", bool = "BOOL"

    /// Bytes per element in the file.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// True for the types read into Float32 tensors.
    public var isFloatingPoint: Bool {
        switch self {
        case .float64, .float32, .float16, .bfloat16: return true
        default: return false
        }
    }

    /// The dtype of a PyTorch storage class name such as `FloatStorage` (nil when unknown).
    init?(torchStorage name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "DoubleStorage": self = .float64
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    /// The dtype of a PyTorch dtype global such as `float32` in `torch.float32` (nil when unknown).
    init?(torchDType name: String) {
        switch name {
        case "float32", "float": self = .float32
        case "float64", "double": self = .float64
        case "float16", "half": self = .float16
        case "bfloat16": self = .bfloat16
        case "int64", "long": self = .int64
        case "int32", "int": self = .int32
        case "int16", "short": self = .int16
        case "int8": self = .int8
        case "uint8": self = .uint8
        case "bool": self = .bool
        default: return nil
        }
    }
}

// MARK: Element conversion

extension CheckpointDType {
    /// Converts little-endian floating-point elements at `source` into `destination`.
    ///
    /// `source` need not be aligned; this is the single pass that turns file bytes into tensor
    /// storage. Element `i` is read from element index `gather[i]` of `source`, or from index `i`
    /// when `gather` is nil (contiguous data; Float32 is then one bulk copy).
    func convertFloats(from source: UnsafeRawPointer, gather: UnsafeBufferPointer<Int>?,
                       into destination: UnsafeMutableBufferPointer<Float>) {
        let n = destination.count
        #if _endian(little)
        if self == .float32, gather == nil, let base = destination.baseAddress {
            UnsafeMutableRawPointer(base).copyMemory(from: source, byteCount: n * 4)
            return
        }
        #endif
        switch self {
        case .float32:
            for i in 0..<n {
                let bits = source.loadUnaligned(fromByteOffset: (gather?[i] ?? i) * 4, as: UInt32.self)
                destination[i] = Float(bitPattern: UInt32(littleEndian: bits))
            }
        case .float64:
            for i in 0..<n {
                let bits = source.loadUnaligned(fromByteOffset: (gather?[i] ?? i) * 8, as: UInt64.self)
                destination[i] = Float(Double(bitPattern: UInt64(littleEndian: bits)))
            }
        case .float16:
            for i in 0..<n {
                let bits = source.loadUnaligned(fromByteOffset: (gather?[i] ?? i) * 2, as: UInt16.self)
                destination[i] = Self.halfToFloat(UInt16(littleEndian: bits))
            }
        case .bfloat16:
            for i in 0..<n {
                let bits = source.loadUnaligned(fromByteOffset: (gather?[i] ?? i) * 2, as: UInt16.self)
                destination[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
            }
        default:
            preconditionFailure("CheckpointDType.convertFloats: \(rawValue) is not a float type")
        }
    }

    /// Reads `count` little-endian integer elements at `source` as Int64 values
    /// (element `i` from index `gather[i]`, or `i` when `gather` is nil).
    func convertIntegers(from source: UnsafeRawPointer, count: Int, gather: UnsafeBufferPointer<Int>?) -> [Int64] {
        [Int64](unsafeUninitializedCapacity: count) { out, initialized in
            for i in 0..<count {
                let at = (gather?[i] ?? i) * byteSize
                switch self {
                case .int64:
                    out[i] = Int64(littleEndian: source.loadUnaligned(fromByteOffset: at, as: Int64.self))
                case .int32:
                    out[i] = Int64(Int32(littleEndian: source.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                case .int16:
                    out[i] = Int64(Int16(littleEndian: source.loadUnaligned(fromByteOffset: at, as: Int16.self)))
                case .int8:
                    out[i] = Int64(source.load(fromByteOffset: at, as: Int8.self))
                case .uint8:
                    out[i] = Int64(source.load(fromByteOffset: at, as: UInt8.self))
                case .bool:
                    out[i] = source.load(fromByteOffset: at, as: UInt8.self) != 0 ? 1 : 0
                default:
                    preconditionFailure("CheckpointDType.convertIntegers: \(rawValue) is not an integer type")
                }
            }
            initialized = count
        }
    }

    /// IEEE 754 binary16 to binary32, including subnormals, infinities and NaN.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: value = mantissa * 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | (UInt32(exponent + 112) << 23) | (mantissa << 13))
    }
}
