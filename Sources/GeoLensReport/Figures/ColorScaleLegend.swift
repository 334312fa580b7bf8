/// The labelled colour bar under a heatmap: the colormap strip, ticks and values at its minimum,
/// middle and maximum, the quantity the colours stand for ("GradCAM++ (normalized)", "SHAP value
/// (logit units)") and optionally a line saying how to read the ends.
struct ColorScaleLegend {
    let colormap: Colormap
    let range: Heatmap.Range
    /// The quantity, under the tick values.
    let quantity: String
    /// How to read the colours (e.g. "red raises the cloud score, blue lowers it"), or nil.
    let note: String?

    /// Height of the colour strip.
    static let barHeight = 10
    /// Tick length below the strip.
    static let tickLength = 3
    /// Text sizes of the values and of the quantity.
    static let valueSize = 10.0, quantitySize = 10.0
    /// Distance between baselines below the strip.
    static let lineHeight = 14

    /// Rows the legend takes below the strip top: strip, ticks and one or two text lines.
    static func height(hasNote: Bool) -> Int {
        barHeight + tickLength + lineHeight * (hasNote ? 3 : 2) + 2
    }

    /// The values printed under the strip's left end, middle and right end (one value when the
    /// map is constant).
    var tickValues: [Float] {
        guard range.high > range.low else { return [range.low] }
        return [range.low, (range.low + range.high) / 2, range.high]
    }

    /// Draws the legend with its strip in `bar` (`bar.height` should be `barHeight`).
    func draw(on canvas: Canvas, bar: FigureRect) {
        canvas.draw(ColorBar.image(colormap, width: bar.width, height: bar.height), x: bar.x, y: bar.y)
        let baseline = Double(bar.bottom + Self.tickLength + Self.lineHeight - 3)
        let signed = range.low < 0 && range.high > 0 && abs(range.low + range.high) <= 1e-6 * max(abs(range.low), abs(range.high))
        func label(_ value: Float) -> String {
            signed ? FigureNumber.signed(Double(value)) : FigureNumber.short(Double(value))
        }
        let values = tickValues
        if values.count == 1 {
            canvas.text("\(label(values[0])) everywhere", x: Double(bar.x + bar.width / 2), y: baseline,
                        size: Self.valueSize, anchor: .middle)
        } else {
            let positions = [bar.x, bar.x + bar.width / 2, bar.right - 1]
            let anchors: [Canvas.Anchor] = [.start, .middle, .end]
            for (k, value) in values.enumerated() {
                canvas.line(from: (Double(positions[k]), Double(bar.bottom)),
                            to: (Double(positions[k]), Double(bar.bottom + Self.tickLength)), color: Canvas.ink)
                canvas.text(label(value), x: Double(k == 2 ? bar.right : positions[k]), y: baseline,
                            size: Self.valueSize, anchor: anchors[k])
            }
        }
        let width = Double(bar.width)
        canvas.text(canvas.fitting(quantity, width: width, size: Self.quantitySize), x: Double(bar.x) + width / 2,
                    y: baseline + Double(Self.lineHeight), size: Self.quantitySize, anchor: .middle)
        if let note {
            canvas.text(canvas.fitting(note, width: width, size: Self.quantitySize), x: Double(bar.x) + width / 2,
                        y: baseline + Double(2 * Self.lineHeight), size: Self.quantitySize, anchor: .middle, color: Canvas.muted)
        }
    }
}
