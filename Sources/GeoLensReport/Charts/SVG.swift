import Foundation

/// Inline SVG charts drawn as text (no scripts, no fonts or files fetched). Every label passes
/// through `HTML.escape`. Sizes are in CSS pixels; charts scale with `viewBox`.
public enum SVG {
    /// A number with `digits` decimals, no exponent for report-sized values.
    public static func format(_ value: Double, digits: Int = 4) -> String {
        guard value.isFinite else { return "—" }
        if value != 0 && (abs(value) >= 1e6 || abs(value) < 1e-4) { return String(format: "%.3g", value) }
        return String(format: "%.\(digits)f", value)
    }

    /// The opening `<svg>` tag for a `width x height` chart with an accessible title.
    static func open(width: Int, height: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
            + "<title>\(HTML.escape(title))</title>"
    }

    /// `<text>` with escaped content.
    static func text(_ x: Double, _ y: Double, _ content: String, size: Int = 11, anchor: String = "start",
                     extra: String = "") -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\"\(extra)>\(HTML.escape(content))</text>"
    }

    /// A chart label cut to `limit` characters with an ellipsis (tables keep the full name).
    static func short(_ label: String, _ limit: Int = 20) -> String {
        label.count <= limit ? label : String(label.prefix(limit - 1)) + "…"
    }

    /// Coordinates with one decimal.
    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Horizontal bars, one per label, values in `0...maximum` (nil drawn as "n/a").
    public static func barChart(labels: [String], values: [Double?], maximum: Double = 1, title: String,
                                color: String = "#0072b2") -> String {
        precondition(labels.count == values.count, "SVG.barChart: \(labels.count) labels for \(values.count) values")
        let rowHeight = 22.0, labelWidth = 150.0, barWidth = 300.0
        let height = Int(Double(labels.count) * rowHeight + 30)
        var s = open(width: Int(labelWidth + barWidth + 70), height: height, title: title)
        for (i, (label, value)) in zip(labels, values).enumerated() {
            let y = 10 + Double(i) * rowHeight
            s += text(labelWidth - 6, y + 14, short(label), anchor: "end")
            if let value {
                let w = max(0, min(1, value / maximum)) * barWidth
                s += "<rect x=\"\(f(labelWidth))\" y=\"\(f(y + 3))\" width=\"\(f(w))\" height=\"\(f(rowHeight - 6))\" fill=\"\(color)\"/>"
                s += text(labelWidth + w + 4, y + 14, format(value, digits: 3))
            } else {
                s += text(labelWidth + 4, y + 14, "n/a (0/0)")
            }
        }
        s += "<line x1=\"\(f(labelWidth))\" y1=\"6\" x2=\"\(f(labelWidth))\" y2=\"\(height - 16)\" stroke=\"#444\"/>"
        s += text(labelWidth + barWidth, Double(height - 4), format(maximum, digits: 1), size: 10, anchor: "end")
        return s + "</svg>"
    }

    /// Signed horizontal bars centred on zero (comparison deltas), `maximum` = largest |value| drawn.
    public static func deltaChart(labels: [String], values: [Double?], title: String) -> String {
        precondition(labels.count == values.count, "SVG.deltaChart: \(labels.count) labels for \(values.count) values")
        let maximum = max(values.compactMap { $0.map(abs) }.max() ?? 0, 1e-6)
        let rowHeight = 22.0, labelWidth = 150.0, half = 150.0
        let centre = labelWidth + half + 10
        let height = Int(Double(labels.count) * rowHeight + 20)
        var s = open(width: Int(centre + half + 70), height: height, title: title)
        for (i, (label, value)) in zip(labels, values).enumerated() {
            let y = 10 + Double(i) * rowHeight
            s += text(labelWidth - 6, y + 14, short(label), anchor: "end")
            guard let value else { s += text(centre + 4, y + 14, "n/a"); continue }
            let w = abs(value) / maximum * half
            let x = value < 0 ? centre - w : centre
            s += "<rect x=\"\(f(x))\" y=\"\(f(y + 3))\" width=\"\(f(w))\" height=\"\(f(rowHeight - 6))\" fill=\"\(value < 0 ? "#2166ac" : "#b2182b")\"/>"
            // Values sit right of the zero line for negative bars, so they never run into the labels.
            s += text(value < 0 ? centre + 4 : x + w + 4, y + 14, (value >= 0 ? "+" : "") + format(value, digits: 4))
        }
        s += "<line x1=\"\(f(centre))\" y1=\"4\" x2=\"\(f(centre))\" y2=\"\(height - 4)\" stroke=\"#444\"/>"
        return s + "</svg>"
    }

    /// Row-normalized confusion matrix heatmap (rows = reference, columns = predicted), each
    /// cell showing the row fraction and the count.
    public static func confusionMatrix(_ rows: [[Int64]], classes: [String], title: String) -> String {
        let n = classes.count
        precondition(rows.count == n && rows.allSatisfy { $0.count == n },
                     "SVG.confusionMatrix: matrix of \(rows.count) rows for \(n) classes")
        let cell = 64.0, left = 130.0, top = 110.0
        let size = Int(left + cell * Double(n) + 20)
        var s = open(width: size, height: Int(top + cell * Double(n) + 30), title: title)
        s += text(left + cell * Double(n) / 2, 14, "predicted class", anchor: "middle")
        s += text(14, top + cell * Double(n) / 2, "reference class", anchor: "middle",
                  extra: " transform=\"rotate(-90 14 \(f(top + cell * Double(n) / 2)))\"")
        for (j, name) in classes.enumerated() {
            let x = left + cell * (Double(j) + 0.5)
            s += text(x, top - 8, short(name, 14), anchor: "start", extra: " transform=\"rotate(-45 \(f(x)) \(f(top - 8)))\"")
            s += text(left - 6, top + cell * (Double(j) + 0.5) + 4, short(name, 18), anchor: "end")
        }
        for (i, row) in rows.enumerated() {
            let total = row.reduce(0, +)
            for (j, count) in row.enumerated() {
                let fraction = total > 0 ? Double(count) / Double(total) : 0
                let color = Colormap.viridis.color(Float(fraction))
                let x = left + cell * Double(j), y = top + cell * Double(i)
                s += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(color.hex)\" stroke=\"#fff\"/>"
                let ink = fraction > 0.6 ? "#000" : "#fff"
                s += text(x + cell / 2, y + cell / 2 - 2, total > 0 ? format(fraction, digits: 2) : "—", size: 13,
                          anchor: "middle", extra: " fill=\"\(ink)\"")
                s += text(x + cell / 2, y + cell / 2 + 14, String(count), size: 10, anchor: "middle", extra: " fill=\"\(ink)\"")
            }
        }
        return s + "</svg>"
    }
}
