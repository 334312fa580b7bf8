internal import CGDAL
import Foundation

/// Writes a georeferenced GeoTIFF window by window, atomically: pixels go to a hidden temporary
/// file beside the target, and `finish()` builds overviews (or the COG copy) and renames it into
/// place. A writer released without `finish()` removes its temporary file, so an interrupted run
/// never leaves a half-written output.
public final class GeoTIFFWriter: @unchecked Sendable {
    /// The final path.
    public let path: String
    public let width: Int
    public let height: Int
    public let bandCount: Int
    public let dataType: RasterDataType
    public let options: GeoTIFFOptions
    private let temporaryPath: String
    private var dataset: GDALDataset?
    private let lock = GDALHandleLock()

    /// Creates the temporary GeoTIFF with georeference, optional nodata (every band), band
    /// descriptions and, for single-band `uint8` outputs, a colour table.
    public init(path: String, width: Int, height: Int, bandCount: Int, dataType: RasterDataType,
                georeference: Georeference, options: GeoTIFFOptions = .standard, nodata: Double? = nil,
                bandDescriptions: [String] = [], colorTable: [RGBA]? = nil) throws {
        precondition(width > 0 && height > 0 && bandCount > 0,
                     "GeoTIFFWriter: empty raster \(width) x \(height) x \(bandCount) for \(path)")
        self.path = path
        self.width = width
        self.height = height
        self.bandCount = bandCount
        self.dataType = dataType
        self.options = options
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GeoError(.writeFailed, "cannot create directory \(directory) for \(path): \(error.localizedDescription)")
        }
        self.temporaryPath = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tif"
        let dataset = try GDALDataset.create(driver: "GTiff", path: temporaryPath, width: width, height: height,
                                             bands: bandCount, type: dataType.gdalType,
                                             options: options.cloudOptimized ? ["TILED=YES", "BIGTIFF=IF_SAFER"] : options.creationOptions)
        self.dataset = dataset
        do {
            try Self.describe(dataset, path: path, georeference: georeference, nodata: nodata,
                              descriptions: bandDescriptions, colorTable: colorTable)
        } catch {
            self.dataset = nil
            unlink(temporaryPath)
            throw error
        }
    }

    deinit {
        if dataset != nil {
            dataset = nil
            unlink(temporaryPath)
        }
    }

    /// Writes `values` (row-major `window.height * window.width`) into 1-based `band`;
    /// GDAL converts Float32 to the file's type (rounding and clamping for integer types).
    public func write(band: Int, window: RasterWindow, values: UnsafeBufferPointer<Float>) throws {
        try write(band: band, window: window, pointer: UnsafeRawPointer(values.baseAddress!), count: values.count, type: GDT_Float32)
    }

    public func write(band: Int, window: RasterWindow, values: [Float]) throws {
        try values.withUnsafeBufferPointer { (v) throws in try write(band: band, window: window, values: v) }
    }

    /// Writes Float64 `values` into 1-based `band` (exact for every integer up to 2^53).
    public func write(band: Int, window: RasterWindow, doubles values: [Double]) throws {
        try values.withUnsafeBufferPointer { v in
            try write(band: band, window: window, pointer: UnsafeRawPointer(v.baseAddress!), count: v.count, type: GDT_Float64)
        }
    }

    /// Writes bytes (class ids) into 1-based `band`.
    public func write(band: Int, window: RasterWindow, bytes: [UInt8]) throws {
        try bytes.withUnsafeBufferPointer { (v) throws in
            try write(band: band, window: window, pointer: UnsafeRawPointer(v.baseAddress!), count: v.count, type: GDT_Byte)
        }
    }

    private func write(band: Int, window: RasterWindow, pointer: UnsafeRawPointer, count: Int, type: GDALDataType) throws {
        precondition(band >= 1 && band <= bandCount, "GeoTIFFWriter.write: band \(band) not in 1...\(bandCount) of \(path)")
        precondition(window.isInside(width: width, height: height) && count == window.pixelCount,
                     "GeoTIFFWriter.write: \(count) values for \(window) of a \(width) x \(height) raster \(path)")
        let path = self.path
        try lock.withLock { () throws in
            guard let dataset else { preconditionFailure("GeoTIFFWriter.write: \(path) is already finished") }
            GDALRuntime.clearError()
            let result = GDALRasterIO(dataset.band(band), GF_Write, Int32(window.x), Int32(window.y),
                                      Int32(window.width), Int32(window.height), UnsafeMutableRawPointer(mutating: pointer),
                                      Int32(window.width), Int32(window.height), type, 0, 0)
            try GDALRuntime.check(result, .writeFailed, "cannot write \(window) of band \(band) to \(path)")
        }
    }

    /// Flushes, builds overviews or the Cloud-Optimized copy, and renames the file into place.
    public func finish() throws {
        try lock.withLock { () throws in
            guard let dataset else { return }
            defer { self.dataset = nil }
            GDALRuntime.clearError()
            var finalTemporary = temporaryPath
            do {
                if !options.cloudOptimized && !options.overviews.isEmpty {
                    var levels = options.overviews.map { Int32($0) }
                    let result = GDALBuildOverviews(dataset.handle, options.resampling(for: dataType).rawValue,
                                                    Int32(levels.count), &levels, 0, nil, nil, nil)
                    try GDALRuntime.check(result, .writeFailed, "cannot build overviews for \(path)")
                }
                GDALFlushCache(dataset.handle)
                try GDALRuntime.check(CPLGetLastErrorType(), .writeFailed,
                                      "cannot write \(path) (check free space and permissions)")
                if options.cloudOptimized {
                    finalTemporary = temporaryPath + ".cog.tif"
                    _ = try dataset.createCopy(driver: "COG", path: finalTemporary,
                                               options: options.cloudOptimizedOptions(for: dataType))
                    self.dataset = nil
                    unlink(temporaryPath)
                } else {
                    self.dataset = nil // closes the file before it is renamed
                    // Closing flushes what is left; a full disk shows here too.
                    try GDALRuntime.check(CPLGetLastErrorType(), .writeFailed,
                                          "cannot write \(path) (check free space and permissions)")
                }
            } catch {
                // A failed write leaves no partial file behind.
                self.dataset = nil
                unlink(temporaryPath)
                if finalTemporary != temporaryPath { unlink(finalTemporary) }
                throw error
            }
            guard rename(finalTemporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(finalTemporary)
                throw GeoError(.writeFailed, "cannot rename \(finalTemporary) to \(path): \(reason)")
            }
        }
    }

    private static func describe(_ dataset: GDALDataset, path: String, georeference: Georeference, nodata: Double?,
                                 descriptions: [String], colorTable: [RGBA]?) throws {
        GDALRuntime.clearError()
        if var transform = georeference.geoTransform?.coefficients {
            try GDALRuntime.check(GDALSetGeoTransform(dataset.handle, &transform), .writeFailed,
                                  "cannot set the geotransform of \(path)")
        }
        if let wkt = georeference.crs?.wkt {
            try GDALRuntime.check(GDALSetProjection(dataset.handle, wkt), .writeFailed, "cannot set the CRS of \(path)")
        }
        let bandCount = Int(GDALGetRasterCount(dataset.handle))
        for index in 1...bandCount {
            let band = dataset.band(index)
            if let nodata {
                try GDALRuntime.check(GDALSetRasterNoDataValue(band, nodata), .writeFailed,
                                      "cannot set nodata \(nodata) on band \(index) of \(path)")
            }
            if index <= descriptions.count { GDALSetDescription(band, descriptions[index - 1]) }
        }
        if let colorTable, bandCount == 1 {
            guard let table = GDALCreateColorTable(GPI_RGB) else {
                throw GDALRuntime.error(.writeFailed, "cannot create a colour table for \(path)")
            }
            defer { GDALDestroyColorTable(table) }
            for (i, c) in colorTable.prefix(256).enumerated() {
                var entry = GDALColorEntry(c1: Int16(c.red), c2: Int16(c.green), c3: Int16(c.blue), c4: Int16(c.alpha))
                GDALSetColorEntry(table, Int32(i), &entry)
            }
            try GDALRuntime.check(GDALSetRasterColorTable(dataset.band(1), table), .writeFailed,
                                  "cannot set the colour table of \(path)")
            GDALSetRasterColorInterpretation(dataset.band(1), GCI_PaletteIndex)
        }
    }
}
