internal import CGDAL

/// How a raster file is laid out: GDAL's `IMAGE_STRUCTURE` facts and the overview pyramid,
/// what QGIS uses to draw a zoomed-out raster without reading every pixel.
public struct RasterLayout: Hashable, Sendable {
    /// GDAL's `LAYOUT` item: `COG` for a Cloud-Optimized GeoTIFF (IFDs and overviews first,
    /// tiles in order), nil for other files.
    public let layout: String?
    /// The `COMPRESSION` item (`DEFLATE`, `LZW`, ...), nil when uncompressed.
    public let compression: String?
    /// Overview sizes of band 1, largest first, as `[width, height]`.
    public let overviews: [[Int]]
    /// The `RESAMPLING` item GDAL records on overviews it built (e.g. `MODE`, `AVERAGE`), when present.
    public let overviewResampling: String?

    /// Whether the file is a Cloud-Optimized GeoTIFF.
    public var isCloudOptimized: Bool { layout?.uppercased() == "COG" }
}

extension Raster {
    /// The file's layout, compression and overview pyramid.
    public func layout() -> RasterLayout {
        lock.withLock {
            func item(_ name: String, _ domain: String, of object: GDALMajorObjectH?) -> String? {
                GDALGetMetadataItem(object, name, domain).map { String(cString: $0) }
            }
            let band = dataset.band(1)
            let count = Int(GDALGetOverviewCount(band))
            let sizes: [[Int]] = (0..<count).compactMap { level in
                guard let overview = GDALGetOverview(band, Int32(level)) else { return nil }
                return [Int(GDALGetRasterBandXSize(overview)), Int(GDALGetRasterBandYSize(overview))]
            }
            let resampling = count > 0 ? GDALGetOverview(band, 0).flatMap { item("RESAMPLING", "", of: $0) } : nil
            let result = RasterLayout(layout: item("LAYOUT", "IMAGE_STRUCTURE", of: dataset.handle),
                                      compression: item("COMPRESSION", "IMAGE_STRUCTURE", of: dataset.handle),
                                      overviews: sizes, overviewResampling: resampling)
            GDALRuntime.clearError()
            return result
        }
    }

    /// The pixels of overview `level` (0 = the largest) of 1-based `band`, row-major, as stored
    /// (no scale, offset or mask applied).
    public func readOverview(level: Int, band index: Int) throws -> (width: Int, height: Int, values: [Float]) {
        _ = try band(index)
        let path = self.path
        return try lock.withLock { () throws -> (width: Int, height: Int, values: [Float]) in
            let band = dataset.band(index)
            let count = Int(GDALGetOverviewCount(band))
            guard level >= 0 && level < count, let overview = GDALGetOverview(band, Int32(level)) else {
                throw GeoError(.bandOutOfRange, "band \(index) of \(path) has \(count) overviews, not a level \(level)")
            }
            let width = Int(GDALGetRasterBandXSize(overview)), height = Int(GDALGetRasterBandYSize(overview))
            var values = [Float](repeating: 0, count: width * height)
            GDALRuntime.clearError()
            let result = values.withUnsafeMutableBytes { bytes in
                GDALRasterIO(overview, GF_Read, 0, 0, Int32(width), Int32(height), bytes.baseAddress,
                             Int32(width), Int32(height), GDT_Float32, 0, 0)
            }
            try GDALRuntime.check(result, .readFailed, "cannot read overview \(level) of band \(index) of \(path)")
            return (width, height, values)
        }
    }
}
