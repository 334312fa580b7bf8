internal import CGDAL

/// An open raster file: its facts, read once at open, and windowed reads of any bands.
///
/// GDAL dataset handles are not thread-safe; a `Raster` serializes its reads with a lock,
/// so one `Raster` may be shared between tasks (for parallel reads open one per thread).
public final class Raster: Sendable {
    /// The path as given to `open`.
    public let path: String
    public let width: Int
    public let height: Int
    /// Facts per band, `bands[0]` is band 1.
    public let bands: [RasterBandInfo]
    /// The geotransform, or nil when the file has none (GDAL would report the identity).
    public let geoTransform: GeoTransform?
    /// The CRS, or nil when the file has none.
    public let crs: CRSInfo?
    /// GDAL's driver short name, e.g. `GTiff`.
    public let driver: String

    let dataset: GDALDataset
    let lock = GDALHandleLock()

    /// Opens `path` read-only. Throws `fileNotFound` or `notARaster` (with GDAL's message).
    public convenience init(path: String) throws {
        self.init(dataset: try GDALDataset.openReadOnly(path), path: path)
    }

    /// Wraps an open dataset (a file, or an in-memory result such as a warp).
    init(dataset: GDALDataset, path: String) {
        let handle = dataset.handle
        self.dataset = dataset
        self.path = path
        self.width = Int(GDALGetRasterXSize(handle))
        self.height = Int(GDALGetRasterYSize(handle))
        let count = Int(GDALGetRasterCount(handle))
        self.bands = (1...count).map { RasterBandInfo(band: dataset.band($0), index: $0) }
        var coefficients = [Double](repeating: 0, count: 6)
        if GDALGetGeoTransform(handle, &coefficients) == CE_None {
            self.geoTransform = GeoTransform(coefficients)
        } else {
            self.geoTransform = nil
        }
        let wkt = GDALGetProjectionRef(handle).map { String(cString: $0) } ?? ""
        self.crs = CRSInfo(wkt: wkt)
        self.driver = GDALGetDriverShortName(GDALGetDatasetDriver(handle)).map { String(cString: $0) } ?? ""
        GDALRuntime.clearError()
    }

    /// Number of bands.
    public var bandCount: Int { bands.count }

    /// The whole raster as a window.
    public var fullWindow: RasterWindow { .full(width: width, height: height) }

    /// Facts of 1-based band `index`, or `bandOutOfRange` naming the file and the valid range.
    public func band(_ index: Int) throws -> RasterBandInfo {
        guard index >= 1 && index <= bands.count else {
            throw GeoError(.bandOutOfRange,
                           "band \(index) is out of range for \(path), which has bands 1...\(bands.count)")
        }
        return bands[index - 1]
    }

    /// Checks that `window` lies inside the raster.
    func checkInside(_ window: RasterWindow) throws {
        guard window.isInside(width: width, height: height), window.pixelCount > 0 else {
            throw GeoError(.windowOutOfRange,
                           "\(window) is not inside \(path) (\(width) x \(height) pixels)")
        }
    }

    /// Checks that `other` has this raster's size, geotransform and CRS (e.g. an image and its label).
    public func checkAligned(with other: Raster) throws {
        guard width == other.width && height == other.height else {
            throw GeoError(.mismatch, "\(path) is \(width) x \(height) pixels but \(other.path) is "
                           + "\(other.width) x \(other.height); paired rasters must cover the same pixels")
        }
        switch (geoTransform, other.geoTransform) {
        case let (a?, b?) where !a.isClose(to: b):
            throw GeoError(.mismatch, "geotransform of \(path) \(a) differs from \(other.path) \(b)")
        case (nil, _?), (_?, nil):
            throw GeoError(.mismatch, "\(geoTransform == nil ? path : other.path) has no geotransform but "
                           + "\(geoTransform == nil ? other.path : path) has one")
        default: break
        }
        switch (crs, other.crs) {
        case let (a?, b?) where !a.isSame(as: b):
            throw GeoError(.mismatch, "CRS of \(path) (\(a)) differs from CRS of \(other.path) (\(b)); "
                           + "reproject one of them (gdalwarp)")
        case (nil, _?), (_?, nil):
            throw GeoError(.mismatch, "\(crs == nil ? path : other.path) has no CRS but "
                           + "\(crs == nil ? other.path : path) has one")
        default: break
        }
    }
}
