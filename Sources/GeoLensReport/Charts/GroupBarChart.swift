import Foundation

/// The bar chart of one band-group SHAP result (`<stem>_<method>_<class>_groups.png` and the
/// `.svg` beside it): one row per feature group in order, with its name, a bar from the zero line
/// (red raises the class score, blue lowers it), the signed value (± its standard error when the
/// method estimates one), an axis with its ends and zero, what the values measure, and a caption
/// with the base value and f(x).
///
/// The PNG (drawn with Cairo) and the SVG come from the same `Layout`, so they show the same
/// bars, labels and numbers.
public struct GroupBarChart: Sendable {
    /// Where the parts of the chart sit, shared by the PNG and the SVG.
    public struct Layout: Sendable, Equatable {
        static let margin = 8, labelWidth = 140, half = 120, valueRoom = 96, rowHeight = 22, barInset = 4

        public let width: Int
        public let height: Int
        /// Both title lines.
        public let title: FigureRect
        /// One band per group: its label at the left, its bar and value to the right.
        public let rows: [FigureRect]
        /// One rectangle per group (zero width for a value of exactly 0).
        public let bars: [FigureRect]
        /// The x of the zero line.
        public let zeroX: Int
        /// The axis line, its tick values and the quantity under it.
        public let axis: FigureRect
        /// The base value and f(x) line (zero height without them).
        public let caption: FigureRect

        init(values: [Double], hasCaption: Bool) {
            let margin = Self.margin, half = Self.half, rowHeight = Self.rowHeight, inset = Self.barInset
            let width = margin + Self.labelWidth + 2 * half + Self.valueRoom + margin
            let title = FigureRect(x: margin, y: 4, width: width - 2 * margin, height: 34)
            let zeroX = margin + Self.labelWidth + half
            let limit = GroupBarChart.limit(values)
            let rows = values.indices.map {
                FigureRect(x: margin, y: title.bottom + 4 + $0 * rowHeight, width: width - 2 * margin, height: rowHeight)
            }
            bars = zip(values, rows).map { value, row in
                let length = value.isFinite ? Int((abs(value) / limit * Double(half)).rounded()) : 0
                return FigureRect(x: value < 0 ? zeroX - length : zeroX, y: row.y + inset, width: length, height: rowHeight - 2 * inset)
            }
            axis = FigureRect(x: zeroX - half, y: (rows.last?.bottom ?? title.bottom) + 4, width: 2 * half, height: 34)
            caption = FigureRect(x: margin, y: axis.bottom, width: width - 2 * margin, height: hasCaption ? 16 : 0)
            height = caption.bottom + margin
            self.width = width
            self.title = title
            self.zeroX = zeroX
            self.rows = rows
        }
    }

    /// Bar colours: ColorBrewer RdBu ends, the same as the diverging colormap's.
    public static let positive = RGBA(0xB2, 0x18, 0x2B), negative = RGBA(0x21, 0x66, 0xAC)

    public var names: [String]
    public var values: [Double]
    /// One standard error per value (sampling methods), or nil.
    public var standardErrors: [Double]?
    /// The model's score at the baseline (every feature removed) and at the input.
    public var baseValue: Double?
    public var fullValue: Double?
    /// First title line, e.g. "tile_r0_c0 · class cloud · SHAP (exact)".
    public var title: String
    /// What the values measure, e.g. "SHAP value (logit units)".
    public var quantity: String

    public init(names: [String], values: [Double], standardErrors: [Double]? = nil, baseValue: Double? = nil,
                fullValue: Double? = nil, title: String, quantity: String) {
        precondition(names.count == values.count, "GroupBarChart: \(names.count) names for \(values.count) values")
        precondition(standardErrors.map { $0.count == values.count } ?? true,
                     "GroupBarChart: \(standardErrors?.count ?? 0) standard errors for \(values.count) values")
        self.names = names
        self.values = values
        self.standardErrors = standardErrors
        self.baseValue = baseValue
        self.fullValue = fullValue
        self.title = title
        self.quantity = quantity
    }

    public var layout: Layout { Layout(values: values, hasCaption: !captionText.isEmpty) }

    /// The second title line.
    var subtitle: String { "\(quantity) per feature group" }

    /// The printed value of row `k`: signed, with "± SE" when known.
    func valueText(_ k: Int) -> String {
        let value = FigureNumber.signed(values[k], digits: 4)
        guard let se = standardErrors?[k], se.isFinite else { return value }
        return "\(value) ± \(FigureNumber.short(se, digits: 2))"
    }

    /// "base value 1.23 · f(x) 4.56 · sum of values 3.33", or empty without base value and f(x).
    var captionText: String {
        var parts: [String] = []
        if let baseValue { parts.append("base value \(FigureNumber.short(baseValue, digits: 4))") }
        if let fullValue { parts.append("f(x) \(FigureNumber.short(fullValue, digits: 4))") }
        guard !parts.isEmpty else { return "" }
        parts.append("sum of values \(FigureNumber.signed(values.reduce(0, +), digits: 4))")
        return parts.joined(separator: " · ")
    }

    /// The largest |value| (the bars' full length), never zero.
    static func limit(_ values: [Double]) -> Double {
        max(values.map { $0.isFinite ? abs($0) : 0 }.max() ?? 0, 1e-12)
    }

    /// The values at the axis ticks: -limit, 0, +limit.
    var tickValues: [Double] {
        let limit = Self.limit(values)
        return [-limit, 0, limit]
    }

    /// The x where a value's text starts: after a positive bar, right of the zero line otherwise.
    func valueX(_ k: Int, layout: Layout) -> Int {
        values[k] > 0 ? layout.bars[k].right + 4 : layout.zeroX + 4
    }

    // MARK: PNG

    /// The chart as an RGB image.
    ///
    /// - Throws: `PNGError` when Cairo cannot draw it.
    public func render() throws(PNGError) -> PNGImage {
        let layout = self.layout
        let canvas = try Canvas(width: layout.width, height: layout.height)
        let column = Double(layout.title.width)
        canvas.text(canvas.fitting(title, width: column, size: 12, weight: .bold), x: Double(layout.title.x),
                    y: Double(layout.title.y) + 14, size: 12, weight: .bold)
        canvas.text(canvas.fitting(subtitle, width: column, size: 11), x: Double(layout.title.x), y: Double(layout.title.y) + 29,
                    size: 11, color: Canvas.muted)
        for (k, row) in layout.rows.enumerated() {
            let baseline = Double(row.y + 15)
            canvas.text(canvas.fitting(names[k], width: Double(Layout.labelWidth - 10), size: 11),
                        x: Double(row.x + Layout.labelWidth - 6), y: baseline, size: 11, anchor: .end)
            let bar = layout.bars[k]
            if bar.width > 0 {
                canvas.fill(x: Double(bar.x), y: Double(bar.y), width: Double(bar.width), height: Double(bar.height),
                            color: values[k] < 0 ? Self.negative : Self.positive)
            }
            canvas.text(valueText(k), x: Double(valueX(k, layout: layout)), y: baseline, size: 10)
        }
        let top = Double(layout.rows.first?.y ?? layout.axis.y), axisY = Double(layout.axis.y)
        canvas.line(from: (Double(layout.zeroX), top), to: (Double(layout.zeroX), axisY), color: RGBA(0x80, 0x80, 0x80))
        canvas.line(from: (Double(layout.axis.x), axisY), to: (Double(layout.axis.right), axisY), color: Canvas.ink)
        let ticks = [layout.axis.x, layout.zeroX, layout.axis.right - 1]
        let anchors: [Canvas.Anchor] = [.start, .middle, .end]
        for (k, value) in tickValues.enumerated() {
            canvas.line(from: (Double(ticks[k]), axisY), to: (Double(ticks[k]), axisY + 3), color: Canvas.ink)
            canvas.text(FigureNumber.signed(value), x: Double(k == 2 ? layout.axis.right : ticks[k]), y: axisY + 15, size: 10,
                        anchor: anchors[k])
        }
        canvas.text(quantity, x: Double(layout.zeroX), y: axisY + 29, size: 10, anchor: .middle)
        if !captionText.isEmpty {
            canvas.text(canvas.fitting(captionText, width: column, size: 10), x: Double(layout.caption.x),
                        y: Double(layout.caption.y) + 12, size: 10, color: Canvas.muted)
        }
        return try canvas.image()
    }

    // MARK: SVG

    /// The same chart as a standalone SVG; bars carry `class="bar"`, group names `class="label"`
    /// and printed values `class="value"`.
    public func svg() -> String {
        let layout = self.layout
        var s = SVG.open(width: layout.width, height: layout.height, title: "\(title): \(subtitle)")
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><g font-family=\"DejaVu Sans, Verdana, sans-serif\">"
        s += SVG.text(Double(layout.title.x), Double(layout.title.y) + 14, title, size: 12, extra: " font-weight=\"bold\"")
        s += SVG.text(Double(layout.title.x), Double(layout.title.y) + 29, subtitle, extra: " fill=\"#555\"")
        for (k, row) in layout.rows.enumerated() {
            let baseline = Double(row.y + 15)
            s += SVG.text(Double(row.x + Layout.labelWidth - 6), baseline, SVG.short(names[k]), anchor: "end",
                          extra: " class=\"label\"")
            let bar = layout.bars[k]
            s += "<rect class=\"bar\" x=\"\(bar.x)\" y=\"\(bar.y)\" width=\"\(bar.width)\" height=\"\(bar.height)\""
                + " fill=\"\((values[k] < 0 ? Self.negative : Self.positive).hex)\"/>"
            s += SVG.text(Double(valueX(k, layout: layout)), baseline, valueText(k), size: 10, extra: " class=\"value\"")
        }
        let top = layout.rows.first?.y ?? layout.axis.y, axisY = layout.axis.y
        s += "<line x1=\"\(layout.zeroX)\" y1=\"\(top)\" x2=\"\(layout.zeroX)\" y2=\"\(axisY)\" stroke=\"#808080\"/>"
        s += "<line x1=\"\(layout.axis.x)\" y1=\"\(axisY)\" x2=\"\(layout.axis.right)\" y2=\"\(axisY)\" stroke=\"#222\"/>"
        let ticks = [layout.axis.x, layout.zeroX, layout.axis.right]
        for (k, value) in tickValues.enumerated() {
            s += "<line x1=\"\(ticks[k])\" y1=\"\(axisY)\" x2=\"\(ticks[k])\" y2=\"\(axisY + 3)\" stroke=\"#222\"/>"
            s += SVG.text(Double(ticks[k]), Double(axisY + 15), FigureNumber.signed(value), size: 10,
                          anchor: ["start", "middle", "end"][k])
        }
        s += SVG.text(Double(layout.zeroX), Double(axisY + 29), quantity, size: 10, anchor: "middle")
        if !captionText.isEmpty {
            s += SVG.text(Double(layout.caption.x), Double(layout.caption.y) + 12, captionText, size: 10,
                          extra: " class=\"caption\" fill=\"#555\"")
        }
        return s + "</g></svg>"
    }
}
