internal import CGDAL

/// The pixel types GeoLens reads and writes (GDAL's real-valued types; complex types are refused).
public enum RasterDataType: String, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = "Byte", uint16 = "UInt16", int16 = "Int16", uint32 = "UInt32", int32 = "Int32"
    case uint64 = "UInt64", int64 = "Int64", float32 = "Float32", float64 = "Float64"

    /// GDAL's name for the type (`Byte`, `UInt16`, ...), as `gdalinfo` prints it.
    public var description: String { rawValue }

    /// True for the integer types (labels may be any of these).
    public var isInteger: Bool { self != .float32 && self != .float64 }

    /// True when every value of the type converts to Float32 without rounding.
    public var isExactInFloat32: Bool {
        switch self {
        case .uint8, .uint16, .int16, .float32: true
        default: false
        }
    }

    /// Bytes per sample.
    public var byteSize: Int {
        switch self {
        case .uint8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        }
    }

    var gdalType: GDALDataType {
        switch self {
        case .uint8: GDT_Byte
        case .uint16: GDT_UInt16
        case .int16: GDT_Int16
        case .uint32: GDT_UInt32
        case .int32: GDT_Int32
        case .uint64: GDT_UInt64
        case .int64: GDT_Int64
        case .float32: GDT_Float32
        case .float64: GDT_Float64
        }
    }

    /// The GeoLens type of a GDAL type, or nil for complex and unknown types.
    init?(gdal type: GDALDataType) {
        switch type {
        case GDT_Byte: self = .uint8
        case GDT_UInt16: self = .uint16
        case GDT_Int16: self = .int16
        case GDT_UInt32: self = .uint32
        case GDT_Int32: self = .int32
        case GDT_UInt64: self = .uint64
        case GDT_Int64: self = .int64
        case GDT_Float32: self = .float32
        case GDT_Float64: self = .float64
        default: return nil
        }
    }
}
