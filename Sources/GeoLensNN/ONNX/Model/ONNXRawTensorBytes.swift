import Foundation
import GeoLensTensor

/// Decodes little-endian tensor bytes (`raw_data` or an external data file) by element type.
enum ONNXRawTensorBytes {
    static func decode(_ bytes: Data, type: ONNXElementType, shape: [Int], label: String) throws -> ONNXConstant {
        let count = Shape.count(shape)
        switch type {
        case .float:
            let tensor = Tensor(shape: shape) { out in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0 ..< count * 4]))
                }
            }
            return ONNXConstant(tensor, elementType: type)
        case .float16, .bfloat16, .double:
            let tensor = Tensor(shape: shape) { out in
                bytes.withUnsafeBytes { raw in
                    for i in 0 ..< count {
                        switch type {
                        case .float16: out[i] = float(fromHalf: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        case .bfloat16: out[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
                        default: out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self))
                        }
                    }
                }
            }
            return ONNXConstant(tensor, elementType: type)
        default:
            let values = bytes.withUnsafeBytes { raw -> [Int] in
                (0 ..< count).map { i in
                    switch type {
                    case .int64: return Int(raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
                    case .uint64: return Int(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                    case .int32: return Int(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))
                    case .uint32: return Int(raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
                    case .int16: return Int(raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))
                    case .uint16: return Int(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    case .int8: return Int(raw.loadUnaligned(fromByteOffset: i, as: Int8.self))
                    default: return Int(raw.loadUnaligned(fromByteOffset: i, as: UInt8.self))
                    }
                }
            }
            guard type != .bool || values.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw ONNXError(.invalidTensor, "\(label): boolean tensor holds bytes other than 0 and 1; the file is corrupt")
            }
            return ONNXConstant(integers: values, shape: shape, elementType: type)
        }
    }

    /// IEEE 754 half precision to single precision, including subnormals, infinities and NaN.
    static func float(fromHalf bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1f)
        let mantissa = UInt32(bits & 0x3ff)
        switch exponent {
        case 0:
            return sign * Float(mantissa) * 0x1p-24
        case 31:
            let pattern = UInt32(bits & 0x8000) << 16 | 0x7f80_0000 | mantissa << 13
            return Float(bitPattern: pattern)
        default:
            let pattern = UInt32(bits & 0x8000) << 16 | UInt32(exponent - 15 + 127) << 23 | mantissa << 13
            return Float(bitPattern: pattern)
        }
    }
}
