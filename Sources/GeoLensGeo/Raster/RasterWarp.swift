internal import CGDAL
import Foundation

/// The pixel grid a warp writes: size, geotransform and CRS (a tile, or a window of a scene).
public struct RasterGrid: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let geoTransform: GeoTransform
    public let crs: CRSInfo

    public init(width: Int, height: Int, geoTransform: GeoTransform, crs: CRSInfo) {
        self.width = width
        self.height = height
        self.geoTransform = geoTransform
        self.crs = crs
    }

    /// The grid of `window` of `raster` (the whole raster by default); nil when the raster has no
    /// geotransform or no CRS (nothing can be warped onto it).
    public init?(of raster: Raster, window: RasterWindow? = nil) {
        guard let transform = raster.geoTransform, let crs = raster.crs else { return nil }
        let window = window ?? raster.fullWindow
        self.init(width: window.width, height: window.height, geoTransform: transform.shifted(to: window), crs: crs)
    }

    /// The georeferenced bounds `(minX, minY, maxX, maxY)` of a north-up grid.
    var bounds: (minX: Double, minY: Double, maxX: Double, maxY: Double) {
        let (x0, y0) = geoTransform.coordinates(column: 0, row: 0)
        let (x1, y1) = geoTransform.coordinates(column: Double(width), row: Double(height))
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    }
}

/// How a warp resamples the source (GDAL's `-r`).
public enum WarpResampling: String, Sendable, CaseIterable, Codable {
    case nearest, bilinear, cubic, average

    /// GDAL's name of the method (`near` for nearest).
    var gdalName: String { self == .nearest ? "near" : rawValue }
}

extension Raster {
    /// Warps bands of this raster onto `grid` with GDAL (`gdalwarp -t_srs -te -ts -r -et 0
    /// -ot Float32 -dstnodata nan`), computing `value * scale + offset`.
    ///
    /// Source nodata (declared values, mask bands) and target pixels the source does not cover
    /// are invalid in the block's validity (and 0 in its values). A grid that lies wholly outside
    /// the raster's extent, or a CRS GDAL cannot transform, is an error naming both `gridName`
    /// (the tile) and this raster.
    public func warped(to grid: RasterGrid, gridName: String, bands requested: [Int]? = nil,
                       resampling: WarpResampling = .bilinear, scale: Float = 1, offset: Float = 0) throws -> RasterBlock {
        let bandList = requested ?? Array(1...bandCount)
        for b in bandList { _ = try band(b) }
        guard let sourceTransform = geoTransform, let sourceCRS = crs else {
            throw GeoError(.mismatch, "\(path) has no \(geoTransform == nil ? "geotransform" : "CRS"), so it cannot be warped "
                           + "onto \(gridName); give it georeferencing (gdal_edit.py -a_srs, -a_ullr)")
        }
        try checkCovers(grid, gridName: gridName, sourceTransform: sourceTransform, sourceCRS: sourceCRS)
        let bounds = grid.bounds
        let arguments = ["-of", "MEM", "-t_srs", grid.crs.wkt, "-te", "\(bounds.minX)", "\(bounds.minY)", "\(bounds.maxX)", "\(bounds.maxY)",
                         "-ts", "\(grid.width)", "\(grid.height)", "-r", resampling.gdalName, "-et", "0",
                         "-ot", "Float32", "-dstnodata", "nan", "-wo", "INIT_DEST=NO_DATA"]
        let result: GDALDatasetH? = try lock.withLock { () throws -> GDALDatasetH? in
            GDALRuntime.clearError()
            let options = withCStringList(arguments) { GDALWarpAppOptionsNew($0, nil) }
            guard let options else {
                throw GDALRuntime.error(.invalidArgument, "cannot set up the warp of \(path) onto \(gridName)")
            }
            defer { GDALWarpAppOptionsFree(options) }
            var sources: [GDALDatasetH?] = [dataset.handle]
            var usageError: Int32 = 0
            return sources.withUnsafeMutableBufferPointer { GDALWarp("", nil, 1, $0.baseAddress, options, &usageError) }
        }
        guard let result else {
            throw GDALRuntime.error(.mismatch, "cannot warp \(path) (\(sourceCRS)) onto the grid of \(gridName) (\(grid.crs))")
        }
        let warped = Raster(dataset: GDALDataset.adopting(result, path: "\(path) warped onto \(gridName)"),
                            path: "\(path) warped onto \(gridName)")
        let block = try warped.read(bands: bandList, scale: scale, offset: offset)
        return RasterBlock(values: block.values, validity: block.validity, window: .full(width: grid.width, height: grid.height),
                           bands: bandList)
    }

    /// Throws when `grid` lies wholly outside this raster, or when its corners cannot be
    /// transformed into this raster's CRS.
    private func checkCovers(_ grid: RasterGrid, gridName: String, sourceTransform: GeoTransform, sourceCRS: CRSInfo) throws {
        guard let target = SpatialReference(wkt: grid.crs.wkt), let source = SpatialReference(wkt: sourceCRS.wkt) else {
            throw GeoError(.mismatch, "cannot read the CRS of \(gridName) or of \(path)")
        }
        OSRSetAxisMappingStrategy(target.handle, OAMS_TRADITIONAL_GIS_ORDER)
        OSRSetAxisMappingStrategy(source.handle, OAMS_TRADITIONAL_GIS_ORDER)
        guard let transformation = OCTNewCoordinateTransformation(target.handle, source.handle) else {
            throw GDALRuntime.error(.mismatch, "GDAL cannot transform coordinates from the CRS of \(gridName) (\(grid.crs)) "
                                    + "to the CRS of \(path) (\(sourceCRS))")
        }
        defer { OCTDestroyCoordinateTransformation(transformation) }
        // The grid's outline, 8 points a side, in the source CRS.
        var xs: [Double] = [], ys: [Double] = []
        for i in 0...8 {
            let t = Double(i) / 8
            for (column, row) in [(t * Double(grid.width), 0.0), (t * Double(grid.width), Double(grid.height)),
                                  (0.0, t * Double(grid.height)), (Double(grid.width), t * Double(grid.height))] {
                let (x, y) = grid.geoTransform.coordinates(column: column, row: row)
                xs.append(x); ys.append(y)
            }
        }
        var success = [Int32](repeating: 0, count: xs.count)
        let ok = OCTTransformEx(transformation, Int32(xs.count), &xs, &ys, nil, &success)
        guard ok != 0, success.allSatisfy({ $0 != 0 }) else {
            throw GDALRuntime.error(.mismatch, "GDAL cannot transform the outline of \(gridName) (\(grid.crs)) into the CRS of "
                                    + "\(path) (\(sourceCRS))")
        }
        let (x0, y0) = sourceTransform.coordinates(column: 0, row: 0)
        let (x1, y1) = sourceTransform.coordinates(column: Double(width), row: Double(height))
        let (minX, maxX, minY, maxY) = (min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1))
        guard let gMinX = xs.min(), let gMaxX = xs.max(), let gMinY = ys.min(), let gMaxY = ys.max(),
              gMaxX > minX, gMinX < maxX, gMaxY > minY, gMinY < maxY else {
            throw GeoError(.mismatch, "\(gridName) lies outside the extent of \(path): the tile covers x \(fmt(xs.min())) to "
                           + "\(fmt(xs.max())), y \(fmt(ys.min())) to \(fmt(ys.max())) and the source x \(fmt(minX)) to \(fmt(maxX)), "
                           + "y \(fmt(minY)) to \(fmt(maxY)) in \(sourceCRS)")
        }
    }

    private func fmt(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "?" }
}
