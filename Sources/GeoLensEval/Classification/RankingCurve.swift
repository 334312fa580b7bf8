/// The exact (non-binned) ranking curve of one class against the rest: every distinct score
/// is a threshold, as torchmetrics' `_binary_clf_curve` with `thresholds=None`.
///
/// Scores are sorted in descending order; at each distinct score the cumulative true and false
/// positives are kept (tiles with equal scores enter together, so ties give the trapezoid of
/// the tied block, never an order-dependent staircase). `roc` and `precisionRecall` follow
/// torchmetrics' `_binary_roc_compute` and `_binary_precision_recall_curve_compute`, including
/// their degenerate cases: without positive tiles the true-positive rate is all zeros (AUROC 0)
/// and without negatives the false-positive rate is (AUROC 0); average precision is undefined
/// (nil) without positives, and the metric types decide how a mean treats it, as torchmetrics
/// does per task. Arithmetic is in Double; torchmetrics works in float32, so values agree to
/// about 1e-7.
public struct RankingCurve: Sendable, Equatable {
    /// Distinct scores, descending.
    public let thresholds: [Double]
    /// True positives among the tiles scored at or above each threshold.
    public let truePositives: [Double]
    /// False positives among the tiles scored at or above each threshold.
    public let falsePositives: [Double]

    /// The curve of `scores` (one per tile) with `positives` (whether each tile has the class).
    public init(scores: [Float], positives: [Bool]) {
        precondition(scores.count == positives.count, "RankingCurve: \(scores.count) scores for \(positives.count) labels")
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var thresholds: [Double] = [], tps: [Double] = [], fps: [Double] = []
        var tp = 0.0, fp = 0.0
        for (position, index) in order.enumerated() {
            if positives[index] { tp += 1 } else { fp += 1 }
            let isLastOfBlock = position == order.count - 1 || scores[order[position + 1]] != scores[index]
            if isLastOfBlock {
                thresholds.append(Double(scores[index]))
                tps.append(tp)
                fps.append(fp)
            }
        }
        self.thresholds = thresholds
        truePositives = tps
        falsePositives = fps
    }

    /// A curve from its points (what `init(order:scores:positives:weights:)` builds).
    init(thresholds: [Double], truePositives: [Double], falsePositives: [Double]) {
        self.thresholds = thresholds
        self.truePositives = truePositives
        self.falsePositives = falsePositives
    }

    /// Tiles that have the class.
    public var positiveCount: Double { truePositives.last ?? 0 }
    /// Tiles that do not.
    public var negativeCount: Double { falsePositives.last ?? 0 }

    /// The ROC curve from (0, 0): false- and true-positive rates per threshold (all zeros when
    /// there are no negatives, respectively no positives, as torchmetrics returns).
    public var roc: (falsePositiveRate: [Double], truePositiveRate: [Double]) {
        let fps = [0] + falsePositives, tps = [0] + truePositives
        let negatives = negativeCount, positives = positiveCount
        return (fps.map { negatives > 0 ? $0 / negatives : 0 }, tps.map { positives > 0 ? $0 / positives : 0 })
    }

    /// The area under the ROC curve by the trapezoidal rule; nil when no tile was scored.
    public var auroc: Double? {
        guard !thresholds.isEmpty else { return nil }
        let (x, y) = roc
        var area = 0.0
        for i in 1..<x.count { area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2 }
        return area
    }

    /// The precision-recall curve in torchmetrics' order: recall decreasing from the first
    /// threshold that reaches full recall down to the point (recall 0, precision 1); nil without
    /// positive tiles (recall is 0/0).
    public var precisionRecall: (precision: [Double], recall: [Double])? {
        let positives = positiveCount
        guard positives > 0, let last = truePositives.firstIndex(of: positives) else { return nil }
        var precision: [Double] = [], recall: [Double] = []
        for i in stride(from: last, through: 0, by: -1) {
            precision.append(truePositives[i] / (truePositives[i] + falsePositives[i]))
            recall.append(truePositives[i] / positives)
        }
        return (precision + [1], recall + [0])
    }

    /// Average precision, -sum (r[i+1] - r[i]) p[i] over the curve (torchmetrics'
    /// `_reduce_average_precision`, no interpolation); nil without positive tiles.
    public var averagePrecision: Double? {
        guard let (p, r) = precisionRecall else { return nil }
        var sum = 0.0
        for i in 0..<(p.count - 1) { sum += (r[i + 1] - r[i]) * p[i] }
        return -sum
    }
}
