/// Where an output raster sits on Earth: copied from the source so outputs overlay it in QGIS.
public struct Georeference: Hashable, Sendable {
    public var geoTransform: GeoTransform?
    public var crs: CRSInfo?

    public init(geoTransform: GeoTransform?, crs: CRSInfo?) {
        self.geoTransform = geoTransform
        self.crs = crs
    }

    /// The georeference of a whole source raster.
    public init(of raster: Raster) {
        self.init(geoTransform: raster.geoTransform, crs: raster.crs)
    }

    /// The georeference of `window` of a source raster (origin moved to the window's corner).
    public init(of raster: Raster, window: RasterWindow) {
        self.init(geoTransform: raster.geoTransform?.shifted(to: window), crs: raster.crs)
    }

    /// No georeferencing.
    public static let none = Georeference(geoTransform: nil, crs: nil)
}

/// How a GeoTIFF is laid out and compressed.
public struct GeoTIFFOptions: Hashable, Sendable {
    public enum Compression: String, Hashable, Sendable {
        case none = "NONE", deflate = "DEFLATE", lzw = "LZW"
    }

    /// Tiled with square blocks of `blockSize` when set (a multiple of 16); striped when nil.
    public var blockSize: Int?
    public var compression: Compression
    /// Overview decimation factors built on finish (e.g. `[2, 4, 8]`); empty: none.
    public var overviews: [Int]
    /// Write a Cloud-Optimized GeoTIFF through GDAL's COG driver (always tiled, with overviews).
    public var cloudOptimized: Bool

    public init(blockSize: Int? = 256, compression: Compression = .deflate,
                overviews: [Int] = [], cloudOptimized: Bool = false) {
        precondition(blockSize.map { $0 > 0 && $0 % 16 == 0 } ?? true,
                     "GeoTIFFOptions: block size \(blockSize ?? 0) must be a positive multiple of 16")
        self.blockSize = blockSize
        self.compression = compression
        self.overviews = overviews
        self.cloudOptimized = cloudOptimized
    }

    /// Tiled 256 x 256, DEFLATE: the default for every GeoLens output.
    public static let standard = GeoTIFFOptions()

    /// GDAL GTiff creation options for these settings.
    var creationOptions: [String] {
        var options = ["COMPRESS=\(compression.rawValue)", "BIGTIFF=IF_SAFER"]
        if let blockSize {
            options += ["TILED=YES", "BLOCKXSIZE=\(blockSize)", "BLOCKYSIZE=\(blockSize)"]
        }
        if compression != .none { options.append("PREDICTOR=1") }
        return options
    }
}

/// One colour-table entry (red, green, blue, alpha in 0...255).
public struct RGBA: Hashable, Sendable {
    public var red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8, _ alpha: UInt8 = 255) {
        self.red = red; self.green = green; self.blue = blue; self.alpha = alpha
    }

    /// A full 256-entry colour table of class rasters: `classColors` for the classes (the
    /// palette is chosen by the caller: GeoLensReport's `ClassPalette`), the rest transparent,
    /// so nodata (255) is transparent.
    public static func colorTable(classColors: [RGBA]) -> [RGBA] {
        var table = Array(classColors.prefix(255))
        table += Array(repeating: RGBA(0, 0, 0, 0), count: 256 - table.count)
        return table
    }
}
