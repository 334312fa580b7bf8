import Foundation

extension SVG {
    /// One curve of a `curveChart`: points in the unit square, in drawing order.
    public struct Curve: Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]

        public init(name: String, x: [Double], y: [Double]) {
            precondition(x.count == y.count, "SVG.Curve: \(x.count) x values for \(y.count) y values")
            self.name = name
            self.x = x
            self.y = y
        }
    }

    /// The Okabe-Ito colours, readable for colour-blind readers, in curve order.
    static let curveColors = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442", "#000000"]

    /// Curves in the unit square with axes, ticks at 0, 0.5 and 1, an optional dashed diagonal
    /// (chance level of a ROC curve) and a legend. ROC and precision-recall curves are drawn
    /// through every exact point (steps between thresholds are straight segments, as the
    /// trapezoidal AUROC counts them).
    public static func curveChart(_ curves: [Curve], xLabel: String, yLabel: String, title: String,
                                  diagonal: Bool = false) -> String {
        let plot = 260.0, left = 48.0, top = 12.0
        let legendTop = top + plot + 44
        let height = Int(legendTop + 16 * Double(curves.count) + 6)
        var s = open(width: Int(left + plot + 24), height: height, title: title)
        func px(_ x: Double) -> Double { left + max(0, min(1, x)) * plot }
        func py(_ y: Double) -> Double { top + (1 - max(0, min(1, y))) * plot }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plot))\" height=\"\(f(plot))\" fill=\"none\" stroke=\"#444\"/>"
        for tick in [0.0, 0.5, 1.0] {
            s += text(px(tick), top + plot + 14, format(tick, digits: 1), size: 10, anchor: "middle")
            s += text(left - 5, py(tick) + 4, format(tick, digits: 1), size: 10, anchor: "end")
        }
        s += text(left + plot / 2, top + plot + 30, xLabel, anchor: "middle")
        s += text(12, top + plot / 2, yLabel, anchor: "middle", extra: " transform=\"rotate(-90 12 \(f(top + plot / 2)))\"")
        if diagonal {
            s += "<line x1=\"\(f(px(0)))\" y1=\"\(f(py(0)))\" x2=\"\(f(px(1)))\" y2=\"\(f(py(1)))\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>"
        }
        for (i, curve) in curves.enumerated() {
            let color = curveColors[i % curveColors.count]
            let points = zip(curve.x, curve.y).map { "\(f(px($0))),\(f(py($1)))" }.joined(separator: " ")
            if !points.isEmpty {
                s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"/>"
            }
            let y = legendTop + 16 * Double(i)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y - 4))\" x2=\"\(f(left + 18))\" y2=\"\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            s += text(left + 24, y, short(curve.name, 40), size: 11)
        }
        return s + "</svg>"
    }
}
