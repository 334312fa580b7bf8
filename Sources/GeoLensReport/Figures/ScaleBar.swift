import Foundation

/// A map scale bar in metres: the longest 1-2-5 length (1 m, 2 m, 5 m, 10 m, ..., 1 km, 2 km,
/// ...) that fits in the space given, drawn as a black bar with end ticks and its length beside it.
public struct ScaleBar: Sendable, Equatable {
    /// The length the bar stands for, in metres.
    public let metres: Double
    /// The bar's length on the figure, in pixels.
    public let pixels: Int

    public init(metres: Double, pixels: Int) {
        self.metres = metres
        self.pixels = pixels
    }

    /// Height of the drawn bar and its label row.
    static let height = 12

    /// The bar for figure pixels of `metresPerPixel` metres each, at most `maximumPixels` long and
    /// at least 8 pixels long; nil when no 1-2-5 length fits (or the pixel size is not positive).
    public static func fitting(metresPerPixel: Double, maximumPixels: Int) -> ScaleBar? {
        guard metresPerPixel.isFinite, metresPerPixel > 0, maximumPixels >= 8 else { return nil }
        let longest = metresPerPixel * Double(maximumPixels)
        var magnitude = pow(10, floor(log10(longest)))
        while magnitude > 1e-3 {
            for step in [5.0, 2.0, 1.0] {
                let metres = step * magnitude
                let pixels = Int((metres / metresPerPixel).rounded())
                if pixels <= maximumPixels && pixels >= 8 { return ScaleBar(metres: metres, pixels: pixels) }
            }
            magnitude /= 10
        }
        return nil
    }

    /// "500 m", "2 km", "0.5 m".
    public var label: String {
        if metres >= 1000 { return "\(FigureNumber.short(metres / 1000, digits: 4)) km" }
        return "\(FigureNumber.short(metres, digits: 4)) m"
    }

    /// Draws the bar with its left end at `x` and its label to the right, in a row starting at `y`.
    func draw(on canvas: Canvas, x: Int, y: Int) {
        let top = Double(y + 4)
        canvas.fill(x: Double(x), y: top, width: Double(pixels), height: 3, color: Canvas.ink)
        canvas.fill(x: Double(x), y: top - 3, width: 1, height: 6, color: Canvas.ink)
        canvas.fill(x: Double(x + pixels - 1), y: top - 3, width: 1, height: 6, color: Canvas.ink)
        canvas.text(label, x: Double(x + pixels + 6), y: Double(y + Self.height - 2), size: 10)
    }
}
