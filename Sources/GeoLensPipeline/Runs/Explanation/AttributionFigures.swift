import Foundation
import GeoLensReport

/// The PNG heatmap of one attribution map over an RGB or false-colour composite (2-98 percentile
/// stretch), with a colour bar strip below it: sequential viridis for CAM maps (0 to 1), the
/// colour-blind-safe diverging map centred on zero for signed SHAP-family maps.
///
/// - Parameters:
///   - map: row-major `height` x `width` values.
///   - composite: the three bands of the composite, each row-major `height` x `width`.
///   - signed: true for signed attributions (diverging colormap centred on zero).
///   - boundaries: pixels drawn in black over the heatmap (superpixel segment boundaries).
///   - path: the PNG to write.
/// - Returns: whether a PNG was written.
func renderHeatmapPNG(map: [Float], height: Int, width: Int, composite: [[Float]], signed: Bool,
                      boundaries: [Bool]? = nil, path: String) throws -> Bool {
    let image = AttributionFigure.image(map: map, height: height, width: width, composite: composite,
                                        signed: signed, boundaries: boundaries)
    try PNGWriter.write(image, to: URL(fileURLWithPath: path))
    return true
}

/// The per-group bar chart of band-group SHAP values: a PNG (bars only: red positive, blue
/// negative, one row per group in order, zero line in grey) and an SVG beside it with the group
/// names and values. Returns whether the PNG was written.
func renderGroupBarChartPNG(names: [String], values: [Double], standardErrors: [Double]?, path: String) throws -> Bool {
    guard !values.isEmpty else { return false }
    let rowHeight = 24, width = 320, height = rowHeight * values.count
    let limit = max(values.map { abs($0) }.max() ?? 0, 1e-12)
    let zero = width / 2
    var pixels = [UInt8](repeating: 255, count: width * height * 3)
    func paint(_ x: Int, _ y: Int, _ c: RGBA) {
        let o = (y * width + x) * 3
        pixels[o] = c.red; pixels[o + 1] = c.green; pixels[o + 2] = c.blue
    }
    for (row, value) in values.enumerated() {
        let length = Int((abs(value) / limit * Double(width / 2 - 4)).rounded())
        let color = value >= 0 ? RGBA(0xB2, 0x18, 0x2B) : RGBA(0x21, 0x66, 0xAC)
        let xs = value >= 0 ? zero..<(zero + length) : (zero - length)..<zero
        for y in (row * rowHeight + 4)..<(row * rowHeight + rowHeight - 4) {
            for x in xs { paint(x, y, color) }
        }
    }
    for y in 0..<height { paint(zero, y, RGBA(0x80, 0x80, 0x80)) }
    try PNGWriter.write(PNGImage(width: width, height: height, layout: .rgb, pixels: pixels), to: URL(fileURLWithPath: path))
    let errors = standardErrors.map { $0.map { Optional($0) } } ?? [Double?](repeating: nil, count: values.count)
    let labels = zip(names, errors).map { name, se in se.map { "\(name) (SE \(SVG.format($0, digits: 3)))" } ?? name }
    let svg = SVG.deltaChart(labels: labels, values: values.map { Optional($0) }, title: "SHAP value per feature group")
    try Data(svg.utf8).write(to: URL(fileURLWithPath: (path as NSString).deletingPathExtension + ".svg"), options: .atomic)
    return true
}
