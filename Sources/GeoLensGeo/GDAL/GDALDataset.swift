internal import CGDAL
import Foundation

/// Owns one open `GDALDatasetH` and closes it when released.
///
/// Not thread-safe by itself: the owner (`Raster`, `GeoTIFFWriter`) serializes calls with
/// a `GDALHandleLock`, which is what makes the owner `Sendable`.
final class GDALDataset: @unchecked Sendable {
    let handle: GDALDatasetH
    let path: String

    private init(handle: GDALDatasetH, path: String) {
        self.handle = handle
        self.path = path
    }

    deinit {
        GDALClose(handle)
    }

    /// Takes ownership of a handle GDAL returned (e.g. the in-memory result of `GDALWarp`).
    static func adopting(_ handle: GDALDatasetH, path: String) -> GDALDataset {
        GDALDataset(handle: handle, path: path)
    }

    /// Opens `path` read-only as a raster, or throws `fileNotFound` / `notARaster` with GDAL's message.
    static func openReadOnly(_ path: String) throws -> GDALDataset {
        GDALRuntime.ensureRegistered()
        guard FileManager.default.fileExists(atPath: path) else {
            throw GeoError(.fileNotFound, "raster \(path) does not exist; check the path")
        }
        GDALRuntime.clearError()
        let flags = UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR)
        guard let handle = GDALOpenEx(path, flags, nil, nil, nil) else {
            throw GDALRuntime.error(.notARaster, "cannot open \(path) as a raster")
        }
        if GDALGetRasterCount(handle) == 0 {
            GDALClose(handle)
            throw GeoError(.notARaster, "\(path) opened but holds no raster bands")
        }
        return GDALDataset(handle: handle, path: path)
    }

    /// Creates a new dataset with the named driver (e.g. `GTiff`, `MEM`).
    static func create(driver driverName: String, path: String, width: Int, height: Int, bands: Int,
                       type: GDALDataType, options: [String]) throws -> GDALDataset {
        GDALRuntime.ensureRegistered()
        GDALRuntime.clearError()
        guard let driver = GDALGetDriverByName(driverName) else {
            throw GDALRuntime.error(.writeFailed, "GDAL driver \(driverName) is not available for \(path)")
        }
        let handle = withCStringList(options) { list in
            GDALCreate(driver, path, Int32(width), Int32(height), Int32(bands), type, list)
        }
        guard let handle else {
            throw GDALRuntime.error(.writeFailed, "cannot create raster \(path)")
        }
        return GDALDataset(handle: handle, path: path)
    }

    /// Copies this dataset to `path` with the named driver (used for Cloud-Optimized GeoTIFF).
    func createCopy(driver driverName: String, path: String, options: [String]) throws -> GDALDataset {
        GDALRuntime.clearError()
        guard let driver = GDALGetDriverByName(driverName) else {
            throw GDALRuntime.error(.writeFailed, "GDAL driver \(driverName) is not available for \(path)")
        }
        let handle = withCStringList(options) { list in
            GDALCreateCopy(driver, path, self.handle, 0, list, nil, nil)
        }
        guard let handle else {
            throw GDALRuntime.error(.writeFailed, "cannot write \(driverName) copy \(path) of \(self.path)")
        }
        return GDALDataset(handle: handle, path: path)
    }

    /// The band handle for 1-based `index` (the caller has checked the range).
    func band(_ index: Int) -> GDALRasterBandH {
        guard let band = GDALGetRasterBand(handle, Int32(index)) else {
            preconditionFailure("GDALDataset.band: band \(index) missing in \(path)")
        }
        return band
    }
}

/// Calls `body` with a NULL-terminated `char**` list made of `strings` (e.g. creation options).
func withCStringList<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> R) -> R {
    if strings.isEmpty { return body(nil) }
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}
