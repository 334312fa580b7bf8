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

    /// How overview pixels are computed from the full-resolution pixels (GDAL's names).
    public enum OverviewResampling: String, Hashable, Sendable {
        /// One source pixel per overview pixel: keeps class ids exact.
        case nearest = "NEAREST"
        /// The most frequent value of the block (nodata excluded): class maps that stay readable
        /// when zoomed out, still holding only class ids.
        case mode = "MODE"
        /// The mean of the valid pixels: probabilities, entropy, attribution maps.
        case average = "AVERAGE"
    }

    /// Tiled with square blocks of `blockSize` when set (a multiple of 16); striped when nil.
    public var blockSize: Int?
    public var compression: Compression
    /// Overview decimation factors built on finish (e.g. `[2, 4, 8]`); empty: none.
    public var overviews: [Int]
    /// Write a Cloud-Optimized GeoTIFF through GDAL's COG driver: tiled (`blockSize`, else 512),
    /// with overviews halving the size until the smallest fits one block, the IFDs first.
    public var cloudOptimized: Bool
    /// How overviews (plain or COG) are resampled; nil: `nearest` for `uint8` rasters, `average`
    /// for the others.
    public var resampling: OverviewResampling?

    public init(blockSize: Int? = 256, compression: Compression = .deflate,
                overviews: [Int] = [], cloudOptimized: Bool = false, resampling: OverviewResampling? = nil) {
        precondition(blockSize.map { $0 > 0 && $0 % 16 == 0 } ?? true,
                     "GeoTIFFOptions: block size \(blockSize ?? 0) must be a positive multiple of 16")
        self.blockSize = blockSize
        self.compression = compression
        self.overviews = overviews
        self.cloudOptimized = cloudOptimized
        self.resampling = resampling
    }

    /// Tiled 256 x 256, DEFLATE: the default for every GeoLens output.
    public static let standard = GeoTIFFOptions()

    /// A Cloud-Optimized class raster: 256 x 256 tiles, DEFLATE, overviews by `mode`.
    public static let cloudOptimizedClasses = GeoTIFFOptions(cloudOptimized: true, resampling: .mode)

    /// A Cloud-Optimized continuous raster (probabilities, entropy, attributions): 256 x 256
    /// tiles, DEFLATE, overviews by `average`.
    public static let cloudOptimizedContinuous = GeoTIFFOptions(cloudOptimized: true, resampling: .average)

    /// The overview resampling for a raster of `dataType`.
    func resampling(for dataType: RasterDataType) -> OverviewResampling {
        resampling ?? (dataType == .uint8 ? .nearest : .average)
    }

    /// GDAL GTiff creation options for these settings.
    var creationOptions: [String] {
        var options = ["COMPRESS=\(compression.rawValue)", "BIGTIFF=IF_SAFER"]
        if let blockSize {
            options += ["TILED=YES", "BLOCKXSIZE=\(blockSize)", "BLOCKYSIZE=\(blockSize)"]
        }
        if compression != .none { options.append("PREDICTOR=1") }
        return options
    }

    /// GDAL COG creation options for these settings and a raster of `dataType`.
    func cloudOptimizedOptions(for dataType: RasterDataType) -> [String] {
        ["COMPRESS=\(compression.rawValue)", "BIGTIFF=IF_SAFER", "BLOCKSIZE=\(max(128, blockSize ?? 512))",
         "OVERVIEWS=AUTO", "RESAMPLING=\(resampling(for: dataType).rawValue)"]
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
