internal import CGDAL

/// Reads class labels from a label raster: any integer type, or floats that hold integers,
/// with nodata becoming the ignore index and an optional remapping table.
public struct LabelReader: Sendable {
    public let raster: Raster
    /// The 1-based band holding labels.
    public let band: Int
    public let remapping: LabelRemapping?
    /// The value written for pixels excluded from scoring (nodata, unmapped values with `.ignore`).
    public let ignoreIndex: Int32

    /// Opens `path` and checks that `band` exists and holds a real-valued type.
    public init(path: String, band: Int = 1, remapping: LabelRemapping? = nil, ignoreIndex: Int32 = 255) throws {
        try self.init(raster: Raster(path: path), band: band, remapping: remapping, ignoreIndex: ignoreIndex)
    }

    public init(raster: Raster, band: Int = 1, remapping: LabelRemapping? = nil, ignoreIndex: Int32 = 255) throws {
        let info = try raster.band(band)
        guard info.dataType != nil else {
            throw GeoError(.unsupportedDataType, "label band \(band) of \(raster.path) has pixel type "
                           + "\(info.typeName); labels must be an integer type (or floats holding integers)")
        }
        self.raster = raster
        self.band = band
        self.remapping = remapping
        self.ignoreIndex = ignoreIndex
    }

    /// Labels of `window` (default the whole raster), row-major `height * width`.
    ///
    /// Throws `unsupportedDataType` when a float label holds a fraction (the first offending
    /// value and its pixel are named), since a fractional class is a data error, not a class.
    public func read(window: RasterWindow? = nil) throws -> [Int32] {
        let window = window ?? raster.fullWindow
        try raster.checkInside(window)
        let info = try raster.band(band)
        let count = window.pixelCount
        // Float64 holds every integer type GDAL reads exactly up to 2^53.
        var raw = [Double](repeating: 0, count: count)
        try raw.withUnsafeMutableBytes { (bytes) throws in
            try raster.readSamples(window: window, bands: [band], type: GDT_Float64, into: bytes.baseAddress!)
        }
        let nodata = info.nodata
        let dense = remapping?.denseTable(size: 65536, ignoreIndex: ignoreIndex)
        var labels = [Int32](repeating: ignoreIndex, count: count)
        var badIndex: Int?
        labels.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeBufferPointer { values in
                for i in 0..<count {
                    let v = values[i]
                    if let nodata, v == nodata || (v.isNaN && nodata.isNaN) { continue }
                    guard v.isFinite, v.rounded() == v else {
                        if badIndex == nil { badIndex = i }
                        continue
                    }
                    let value = Int(v)
                    if let dense, value >= 0 && value < dense.count {
                        out[i] = dense[value]
                    } else if let remapping {
                        out[i] = remapping.map(value, ignoreIndex: ignoreIndex)
                    } else {
                        out[i] = Int32(truncatingIfNeeded: value)
                    }
                }
            }
        }
        if let badIndex {
            let column = window.x + badIndex % window.width, row = window.y + badIndex / window.width
            throw GeoError(.unsupportedDataType, "label raster \(raster.path) holds \(raw[badIndex]) at column "
                           + "\(column), row \(row); labels must be whole numbers (set nodata for empty pixels)")
        }
        return labels
    }
}
