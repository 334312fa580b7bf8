import Foundation

/// Seam for the PNG heatmap of one attribution map over an RGB or false-colour composite
/// (2-98 percentile stretch, perceptually uniform colormap with a colour bar: sequential for
/// CAM maps, diverging for signed SHAP maps). The report module provides the encoder and
/// colormaps; until it is connected here, no PNG is written and the function returns false.
///
/// - Parameters:
///   - map: row-major `height` x `width` values.
///   - composite: the three bands of the composite, each row-major `height` x `width`.
///   - signed: true for signed attributions (diverging colormap centred on zero).
///   - path: the PNG to write.
/// - Returns: whether a PNG was written.
func renderHeatmapPNG(map: [Float], height: Int, width: Int, composite: [[Float]], signed: Bool, path: String) throws -> Bool {
    false
}

/// Seam for the per-group bar chart PNG of band-group SHAP values (report module); returns
/// whether a PNG was written.
func renderGroupBarChartPNG(names: [String], values: [Double], standardErrors: [Double]?, path: String) throws -> Bool {
    false
}
