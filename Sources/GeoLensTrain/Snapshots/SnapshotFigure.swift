import Foundation
import GeoLensReport

/// The PNG of one snapshot map: the same figure `geolens explain` writes for CAM maps (the map in
/// viridis at alpha 0.6 over a 2-98 percentile composite, a white gap, then a colour-bar strip
/// below), so that a snapshot of the last epoch and `geolens explain` on `last.safetensors` give
/// the same pixels (checked by the command-line tests).
enum SnapshotFigure {
    /// Renders `map` (row-major `height` x `width`, 0...1) over `composite` (1 or 3 planes).
    static func image(map: [Float], height: Int, width: Int, composite: [[Float]]) -> PNGImage {
        let background = Composite.make(bands: composite, width: width, height: height)
        let heat = Heatmap.render(map: map, width: width, height: height, over: background, colormap: .viridis,
                                  alpha: 0.6, symmetric: false)
        let barHeight = max(6, height / 16), gap = 2
        let bar = ColorBar.image(.viridis, width: width, height: barHeight)
        var pixels = heat.pixels
        pixels += [UInt8](repeating: 255, count: width * gap * 3)
        pixels += bar.pixels
        return PNGImage(width: width, height: height + gap + barHeight, layout: .rgb, pixels: pixels)
    }

    /// Writes the figure to `url` (atomically).
    static func write(map: [Float], height: Int, width: Int, composite: [[Float]], to url: URL) throws {
        try PNGWriter.write(image(map: map, height: height, width: width, composite: composite), to: url)
    }
}
