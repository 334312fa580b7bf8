import Foundation
import GeoLensExplain
import GeoLensReport

/// The words and files of explain's figures: the labelled heatmap PNG of one map and the band-group
/// bar chart (PNG and SVG) of one SHAP result. The drawing itself is GeoLensReport's
/// (`AttributionFigure`, `GroupBarChart`).
enum AttributionFigures {
    /// The caption of a heatmap: "<tile> · class <name>" over "<method> · <detail>[ · target <t>]",
    /// the colour bar's quantity, and for signed maps how to read its ends.
    ///
    /// - Parameters:
    ///   - stem: the tile's file stem.
    ///   - detail: the layer of a CAM map or the feature set of a SHAP-family map.
    ///   - target: the target region (`predicted` is left out, it is the default).
    static func caption(stem: String, className: String, method: AttributionMethod, detail: String,
                        target: String) -> AttributionFigure.Caption {
        var subtitle = [method.displayName, detail]
        if target != TargetRegion.predicted.description { subtitle.append("target \(target)") }
        return AttributionFigure.Caption(title: "\(stem) · class \(className)", subtitle: subtitle.joined(separator: " · "),
                                         quantity: method.valueDescription,
                                         note: method.isCAM ? nil : "red raises the \(className) score, blue lowers it")
    }

    /// The feature set of a SHAP-family map, e.g. "3 band groups × 4 grid cells", "bands summed".
    static func featureSet(groups: Int, cells: ExplanationCells.Kind?, cellCount: Int, perBand: Bool) -> String {
        if perBand { return "bands summed per pixel" }
        let bands = groups == 1 ? "1 band group" : "\(groups) band groups"
        switch cells {
        case .grid: return "\(bands) × \(cellCount) grid cells"
        case .superpixels: return "\(bands) × \(cellCount) superpixels"
        case nil: return bands
        }
    }

    /// Writes the labelled heatmap of `map` (row-major `height` x `width`) over `composite` to `path`.
    ///
    /// - Parameters:
    ///   - signed: signed attributions (diverging colormap centred on zero).
    ///   - boundaries: segment or grid outlines drawn in black.
    ///   - metresPerPixel: the tile's pixel size for the scale bar (nil: none).
    static func writeHeatmap(map: [Float], height: Int, width: Int, composite: [[Float]], signed: Bool,
                             boundaries: [Bool]?, caption: AttributionFigure.Caption, metresPerPixel: Double?,
                             path: String) throws {
        let figure = AttributionFigure(map: map, height: height, width: width, composite: composite, signed: signed,
                                       boundaries: boundaries, caption: caption, metresPerPixel: metresPerPixel)
        try PNGWriter.write(try figure.render(), to: URL(fileURLWithPath: path))
    }

    /// Writes `chart` as the PNG at `path` and the SVG beside it (same name, `.svg`).
    static func writeGroupChart(_ chart: GroupBarChart, path: String) throws {
        try PNGWriter.write(try chart.render(), to: URL(fileURLWithPath: path))
        let svg = URL(fileURLWithPath: (path as NSString).deletingPathExtension + ".svg")
        try Data(chart.svg().utf8).write(to: svg, options: .atomic)
    }
}
