import Foundation
import GeoLensReport

/// The PNG of one snapshot map: `AttributionFigure`, the figure `geolens explain` writes for CAM
/// maps, so that a snapshot of the last epoch and `geolens explain` on `last.safetensors` give the
/// same pixels (checked by the command-line tests).
enum SnapshotFigure {
    /// Writes the figure of `map` (row-major `height` x `width`, 0...1) over `composite` to `url` (atomically).
    static func write(map: [Float], height: Int, width: Int, composite: [[Float]], to url: URL) throws {
        try PNGWriter.write(AttributionFigure.image(map: map, height: height, width: width, composite: composite,
                                                    signed: false), to: url)
    }
}
