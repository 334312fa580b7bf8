public import GeoLensEval

/// Charts of distributions and curves: reliability diagram, histograms, line charts.
extension SVG {
    /// Reliability diagram: accuracy per confidence bin as bars against the diagonal of perfect
    /// calibration, with the ECE in the title line.
    public static func reliabilityDiagram(_ bins: [ReliabilityBin], ece: Double?, title: String) -> String {
        let side = 260.0, left = 50.0, top = 24.0
        var s = open(width: Int(left + side + 30), height: Int(top + side + 44), title: title)
        s += text(left + side / 2, 14, "ECE = " + (ece.map { format($0, digits: 4) } ?? "n/a"), size: 12, anchor: "middle")
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(side))\" height=\"\(f(side))\" fill=\"#fafafa\" stroke=\"#444\"/>"
        for bin in bins where bin.upper > bin.lower {
            guard let accuracy = bin.accuracy else { continue }
            let x = left + bin.lower * side, w = (bin.upper - bin.lower) * side
            let h = accuracy * side
            s += "<rect x=\"\(f(x))\" y=\"\(f(top + side - h))\" width=\"\(f(w))\" height=\"\(f(h))\" fill=\"#0072b2\" fill-opacity=\"0.8\" stroke=\"#fff\"/>"
            if let confidence = bin.meanConfidence {
                s += "<circle cx=\"\(f(left + confidence * side))\" cy=\"\(f(top + side - confidence * side))\" r=\"2.5\" fill=\"#d55e00\"/>"
            }
        }
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top + side))\" x2=\"\(f(left + side))\" y2=\"\(f(top))\" stroke=\"#d55e00\" stroke-dasharray=\"4 3\"/>"
        for tick in [0.0, 0.5, 1.0] {
            s += text(left + tick * side, top + side + 14, format(tick, digits: 1), size: 10, anchor: "middle")
            s += text(left - 4, top + side - tick * side + 4, format(tick, digits: 1), size: 10, anchor: "end")
        }
        s += text(left + side / 2, top + side + 32, "top-label confidence (dots: mean per bin)", anchor: "middle")
        s += text(12, top + side / 2, "accuracy", anchor: "middle", extra: " transform=\"rotate(-90 12 \(f(top + side / 2)))\"")
        return s + "</svg>"
    }

    /// Histogram of `values` in `bins` equal bins between their min and max (or `range`).
    public static func histogram(_ values: [Double], bins: Int = 20, range: ClosedRange<Double>? = nil,
                                 xLabel: String, title: String) -> String {
        let finite = values.filter(\.isFinite)
        let low = range?.lowerBound ?? finite.min() ?? 0
        var high = range?.upperBound ?? finite.max() ?? 1
        if high <= low { high = low + 1 }
        var counts = [Int](repeating: 0, count: bins)
        for v in finite {
            counts[max(0, min(bins - 1, Int((v - low) / (high - low) * Double(bins))))] += 1
        }
        let width = 360.0, height = 180.0, left = 44.0, top = 16.0
        let peak = Double(max(counts.max() ?? 1, 1))
        var s = open(width: Int(left + width + 20), height: Int(top + height + 40), title: title)
        let barWidth = width / Double(bins)
        for (i, count) in counts.enumerated() {
            let h = Double(count) / peak * height
            s += "<rect x=\"\(f(left + Double(i) * barWidth))\" y=\"\(f(top + height - h))\" width=\"\(f(barWidth - 1))\" height=\"\(f(h))\" fill=\"#009e73\"/>"
        }
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top + height))\" x2=\"\(f(left + width))\" y2=\"\(f(top + height))\" stroke=\"#444\"/>"
        s += text(left, top + height + 14, format(low, digits: 3), size: 10, anchor: "middle")
        s += text(left + width, top + height + 14, format(high, digits: 3), size: 10, anchor: "middle")
        s += text(left - 4, top + 8, String(Int(peak)), size: 10, anchor: "end")
        s += text(left + width / 2, top + height + 32, "\(xLabel) (n = \(finite.count))", anchor: "middle")
        return s + "</svg>"
    }

    /// Line chart of named series against their index (epochs), one colour each, with a legend.
    public static func lineChart(_ series: [(name: String, values: [Double])], xLabel: String, title: String) -> String {
        let palette = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9"]
        let all = series.flatMap(\.values).filter(\.isFinite)
        let low = all.min() ?? 0
        var high = all.max() ?? 1
        if high <= low { high = low + 1 }
        let points = max(series.map(\.values.count).max() ?? 2, 2)
        let width = 380.0, height = 180.0, left = 50.0, top = 16.0
        var s = open(width: Int(left + width + 150), height: Int(top + height + 40), title: title)
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"#fafafa\" stroke=\"#444\"/>"
        for (k, entry) in series.enumerated() {
            let color = palette[k % palette.count]
            let path = entry.values.enumerated().compactMap { i, v -> String? in
                guard v.isFinite else { return nil }
                let x = left + Double(i) / Double(points - 1) * width
                let y = top + height - (v - low) / (high - low) * height
                return "\(f(x)),\(f(y))"
            }.joined(separator: " ")
            s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            s += "<rect x=\"\(f(left + width + 10))\" y=\"\(f(top + Double(k) * 18))\" width=\"12\" height=\"12\" fill=\"\(color)\"/>"
            s += text(left + width + 26, top + Double(k) * 18 + 10, entry.name)
        }
        s += text(left - 4, top + 8, format(high, digits: 3), size: 10, anchor: "end")
        s += text(left - 4, top + height, format(low, digits: 3), size: 10, anchor: "end")
        s += text(left + width / 2, top + height + 30, xLabel, anchor: "middle")
        return s + "</svg>"
    }
}
