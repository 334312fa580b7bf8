import Foundation
import GeoLensExplain
import GeoLensReport

/// The PNG of one snapshot map: `AttributionFigure`, the labelled figure `geolens explain` writes
/// for CAM maps, with the epoch added to its subtitle. The map part of a snapshot of the last
/// epoch and of `geolens explain` on `last.safetensors` hold the same pixels (checked by the
/// command-line tests).
enum SnapshotFigure {
    /// The caption: "<tile> · class <name>" over "GradCAM++ · layer <layer> · epoch <n>".
    static func caption(tile: String, className: String, layer: String, epoch: Int) -> AttributionFigure.Caption {
        let method = AttributionMethod.gradcamPlusPlus
        let stem = ((tile as NSString).lastPathComponent as NSString).deletingPathExtension
        return AttributionFigure.Caption(title: "\(stem) · class \(className)",
                                         subtitle: "\(method.displayName) · layer \(layer) · epoch \(epoch)",
                                         quantity: method.valueDescription)
    }

    /// Writes the figure of `map` (row-major `height` x `width`, 0...1) over `composite` to `url`
    /// (atomically); `metresPerPixel` (the tile's pixel size) adds a scale bar.
    static func write(map: [Float], height: Int, width: Int, composite: [[Float]], caption: AttributionFigure.Caption,
                      metresPerPixel: Double?, to url: URL) throws {
        let figure = AttributionFigure(map: map, height: height, width: width, composite: composite, signed: false,
                                       caption: caption, metresPerPixel: metresPerPixel)
        try PNGWriter.write(try figure.render(), to: url)
    }
}
