public import GeoLensGeo
import Foundation
import GeoLensReport

/// How runs write their rasters: Cloud-Optimized GeoTIFF by default (tiled 256 x 256, DEFLATE,
/// an overview pyramid, the layout QGIS and web viewers read by range requests), or plain tiled
/// GeoTIFF (`--no-cog`, config `cog: false`). Class rasters get overviews by `mode` so every
/// zoom level still holds class ids; continuous rasters (probabilities, entropy, attributions) by
/// `average`.
public struct RasterOutputFormat: Hashable, Sendable {
    public var cloudOptimized: Bool

    public init(cloudOptimized: Bool = true) {
        self.cloudOptimized = cloudOptimized
    }

    /// The default: Cloud-Optimized GeoTIFF.
    public static let cloudOptimized = RasterOutputFormat(cloudOptimized: true)
    /// Plain tiled GeoTIFF without overviews.
    public static let plain = RasterOutputFormat(cloudOptimized: false)

    /// Options of class-id rasters (`_pred.tif`, superpixel labels).
    public var classes: GeoTIFFOptions {
        cloudOptimized ? .cloudOptimizedClasses : .standard
    }

    /// Options of continuous rasters (`_prob.tif`, `_entropy.tif`, attribution maps).
    public var continuous: GeoTIFFOptions {
        cloudOptimized ? .cloudOptimizedContinuous : .standard
    }
}

/// The QGIS styles GeoLens writes beside its rasters, in one place so eval, predict, explain and
/// training snapshots style the same kinds of raster the same way.
public enum RasterStyles {
    /// `<stem>_pred.qml` beside a class raster: class names and the report palette.
    @discardableResult
    public static func classes(besides raster: String, classNames: [String]) throws(PipelineError) -> String {
        try QGISStyle.paletted(classNames: classNames, palette: ClassPalette(classCount: classNames.count))
            .write(besides: raster)
    }

    /// `<stem>_entropy.qml` beside an entropy raster: viridis from 0 to ln(classes) nats.
    @discardableResult
    public static func entropy(besides raster: String, classCount: Int) throws(PipelineError) -> String {
        try QGISStyle.pseudocolor(minimum: 0, maximum: log(Double(max(classCount, 2))), colormap: .viridis,
                                  quantity: "predictive entropy (nats)").write(besides: raster)
    }

    /// The style beside an attribution map: viridis from the map's minimum to its maximum for
    /// CAM maps (`signed == false`), the diverging map symmetric about zero for signed maps.
    @discardableResult
    public static func attribution(besides raster: String, values: [Float], signed: Bool,
                                   quantity: String) throws(PipelineError) -> String {
        var low = Float.infinity, high = -Float.infinity
        for v in values where v.isFinite { low = min(low, v); high = max(high, v) }
        if low > high { (low, high) = (0, 1) }
        if signed {
            let extent = max(abs(low), abs(high), .leastNormalMagnitude)
            return try QGISStyle.pseudocolor(minimum: Double(-extent), maximum: Double(extent), colormap: .diverging,
                                             quantity: quantity).write(besides: raster)
        }
        return try QGISStyle.pseudocolor(minimum: Double(low), maximum: Double(high), colormap: .viridis,
                                         quantity: quantity).write(besides: raster)
    }
}
