/// The figure `geolens explain` and the trainer's attribution snapshots write for one map: the map
/// blended at alpha 0.6 over a 2-98 percentile composite, a white gap, then a colour-bar strip.
/// Sequential viridis for CAM maps (0 to 1); the colour-blind-safe diverging map centred on zero
/// for signed SHAP-family maps.
public enum AttributionFigure {
    /// - Parameters:
    ///   - map: row-major `height` x `width` values.
    ///   - composite: 1 or 3 bands of the composite, each row-major `height` x `width`.
    ///   - signed: true for signed attributions (diverging colormap centred on zero).
    ///   - boundaries: pixels drawn in black over the heatmap (superpixel segment boundaries).
    public static func image(map: [Float], height: Int, width: Int, composite: [[Float]], signed: Bool,
                             boundaries: [Bool]? = nil) -> PNGImage {
        let background = Composite.make(bands: composite, width: width, height: height)
        let colormap: Colormap = signed ? .diverging : .viridis
        let heat = Heatmap.render(map: map, width: width, height: height, over: background, colormap: colormap,
                                  alpha: 0.6, symmetric: signed)
        let barHeight = max(6, height / 16), gap = 2
        let bar = ColorBar.image(colormap, width: width, height: barHeight)
        var pixels = heat.pixels
        if let boundaries {
            precondition(boundaries.count == width * height,
                         "AttributionFigure: \(boundaries.count) boundary flags for \(width)x\(height)")
            for i in boundaries.indices where boundaries[i] { for k in 0..<3 { pixels[i * 3 + k] = 0 } }
        }
        pixels += [UInt8](repeating: 255, count: width * gap * 3)
        pixels += bar.pixels
        return PNGImage(width: width, height: height + gap + barHeight, layout: .rgb, pixels: pixels)
    }
}
