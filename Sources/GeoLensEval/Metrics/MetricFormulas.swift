/// The metric definitions of METRICS.md, evaluated on a borrowed C x C count buffer.
///
/// This is the single place where the formulas live: `SegmentationMetrics` (reports,
/// per-tile rows) and the bootstrap (a thousand resampled matrices, no allocation per
/// resample) both call it. All arithmetic is in `Double`; a 0/0 is `nil`.
struct ConfusionCounts {
    /// Row-major counts, rows = reference class, columns = predicted class.
    let counts: UnsafeBufferPointer<Int64>
    /// Number of classes C.
    let classCount: Int

    init(_ counts: UnsafeBufferPointer<Int64>, classCount: Int) {
        precondition(counts.count == classCount * classCount,
                     "ConfusionCounts: \(counts.count) counts do not form a \(classCount) x \(classCount) matrix")
        self.counts = counts
        self.classCount = classCount
    }

    // MARK: Counts

    func truePositives(_ c: Int) -> Double { Double(counts[c * classCount + c]) }

    /// Row sum: pixels whose reference is `c`.
    func rowSum(_ c: Int) -> Double {
        var sum: Int64 = 0
        for j in 0..<classCount { sum += counts[c * classCount + j] }
        return Double(sum)
    }

    /// Column sum: pixels predicted as `c`.
    func columnSum(_ c: Int) -> Double {
        var sum: Int64 = 0
        for r in 0..<classCount { sum += counts[r * classCount + c] }
        return Double(sum)
    }

    /// N, the number of scored pixels.
    var total: Double {
        var sum: Int64 = 0
        for v in counts { sum += v }
        return Double(sum)
    }

    var totalTruePositives: Double {
        var sum: Int64 = 0
        for c in 0..<classCount { sum += counts[c * classCount + c] }
        return Double(sum)
    }

    /// (tp, fp, fn) of class `c`.
    func outcome(_ c: Int) -> (tp: Double, fp: Double, fn: Double) {
        let tp = truePositives(c)
        return (tp, columnSum(c) - tp, rowSum(c) - tp)
    }

    // MARK: Per-class ratios (nil when 0/0)

    static func ratio(_ numerator: Double, _ denominator: Double) -> Double? {
        denominator == 0 ? nil : numerator / denominator
    }

    func iou(_ c: Int) -> Double? { let o = outcome(c); return Self.ratio(o.tp, o.tp + o.fp + o.fn) }
    func precision(_ c: Int) -> Double? { let o = outcome(c); return Self.ratio(o.tp, o.tp + o.fp) }
    func recall(_ c: Int) -> Double? { let o = outcome(c); return Self.ratio(o.tp, o.tp + o.fn) }
    func f1(_ c: Int) -> Double? { let o = outcome(c); return Self.ratio(2 * o.tp, 2 * o.tp + o.fp + o.fn) }

    // MARK: Summaries

    /// sum tp / N.
    var overallAccuracy: Double? { Self.ratio(totalTruePositives, total) }

    /// sum tp / sum (tp + fp + fn).
    var microIoU: Double? {
        var tp = 0.0, denominator = 0.0
        for c in 0..<classCount {
            let o = outcome(c)
            tp += o.tp
            denominator += o.tp + o.fp + o.fn
        }
        return Self.ratio(tp, denominator)
    }

    /// The mean of `value(c)` over classes with tp + fp + fn > 0, a 0/0 inside such a class
    /// counting 0 (METRICS.md `*_macro`; for IoU the 0/0 case cannot occur). Nil when no class qualifies.
    func macroMean(_ value: (Int) -> Double?) -> Double? {
        var sum = 0.0
        var present = 0
        for c in 0..<classCount {
            let o = outcome(c)
            guard o.tp + o.fp + o.fn > 0 else { continue }
            sum += value(c) ?? 0
            present += 1
        }
        return present == 0 ? nil : sum / Double(present)
    }

    var meanIoU: Double? { macroMean(iou) }

    /// Cohen's kappa (p_o - p_e) / (1 - p_e); nil when N = 0 or p_e = 1.
    var kappa: Double? {
        let n = total
        guard n > 0 else { return nil }
        let observed = totalTruePositives / n
        var expected = 0.0
        for c in 0..<classCount { expected += rowSum(c) * columnSum(c) }
        expected /= n * n
        return Self.ratio(observed - expected, 1 - expected)
    }

    /// The value of a bootstrappable summary metric.
    func value(of metric: SummaryMetric) -> Double? {
        switch metric {
        case .miou: meanIoU
        case .overallAccuracy: overallAccuracy
        case .miouMicro: microIoU
        case .f1Macro: macroMean(f1)
        case .precisionMacro: macroMean(precision)
        case .recallMacro: macroMean(recall)
        case .kappa: kappa
        }
    }
}

/// The dataset-level metrics that can be recomputed from a confusion matrix alone, and so
/// bootstrapped over tiles. Raw values are the metrics.json keys.
public enum SummaryMetric: String, Sendable, Codable, CaseIterable {
    case miou
    case overallAccuracy = "overall_accuracy"
    case miouMicro = "miou_micro"
    case f1Macro = "f1_macro"
    case precisionMacro = "precision_macro"
    case recallMacro = "recall_macro"
    case kappa
}

extension ConfusionMatrix {
    /// Runs `body` with the formulas bound to this matrix's counts.
    func withFormulas<R>(_ body: (ConfusionCounts) -> R) -> R {
        counts.withUnsafeBufferPointer { body(ConfusionCounts($0, classCount: classCount)) }
    }

    /// The value of one summary metric on this matrix (METRICS.md), nil when it is 0/0.
    public func value(of metric: SummaryMetric) -> Double? {
        withFormulas { $0.value(of: metric) }
    }
}
