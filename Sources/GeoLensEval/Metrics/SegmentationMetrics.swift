/// The metrics of one class, from the confusion matrix (METRICS.md). A ratio whose
/// definition is 0/0 is `nil` (written as `null`).
public struct ClassMetrics: Sendable, Equatable {
    /// tp / (tp + fp + fn).
    public var iou: Double?
    /// tp / (tp + fp).
    public var precision: Double?
    /// tp / (tp + fn).
    public var recall: Double?
    /// 2tp / (2tp + fp + fn).
    public var f1: Double?
    /// Reference pixels of the class (row sum).
    public var support: Int64
    /// Pixels predicted as the class (column sum).
    public var predicted: Int64

    /// The Dice coefficient, which for single-label segmentation is the same number as F1.
    public var dice: Double? { f1 }
}

/// Every confusion-matrix metric of METRICS.md, computed in `Double`.
///
/// `*_macro` values average over classes with tp + fp + fn > 0 (a class absent from both
/// reference and prediction is left out; a class predicted but never labelled counts 0),
/// which is torchmetrics' `average="macro"` with `ignore_index`. Micro precision, recall
/// and F1 all equal the overall accuracy for single-label segmentation, so only `f1Micro`
/// is reported.
///
/// Conventions where torchmetrics 1.9 differs (METRICS.md wins; the reference generator
/// `scripts/reference/metrics_torchmetrics.py` records each difference per fixture case):
/// - a per-class 0/0 is nil here; torchmetrics returns 0 (`zero_division=0`).
/// - with no scored pixel the summary ratios and kappa are nil; torchmetrics returns 0 (NaN for kappa).
/// - an `ignore_index` inside 0..<C only removes the pixels labelled with it; a class still
///   predicted then counts IoU 0 in `miou`, whereas torchmetrics' JaccardIndex also drops that
///   class from the macro average and its denominator from the micro IoU.
/// - labels outside 0..<C are excluded here (torchmetrics rejects them).
public struct SegmentationMetrics: Sendable, Equatable {
    /// Number of scored pixels N.
    public var pixels: Int64
    /// sum tp / N.
    public var overallAccuracy: Double?
    /// Mean IoU over classes with tp + fp + fn > 0.
    public var miou: Double?
    /// sum tp / sum (tp + fp + fn).
    public var miouMicro: Double?
    public var precisionMacro: Double?
    public var recallMacro: Double?
    public var f1Macro: Double?
    /// Cohen's kappa; nil when N = 0 or the expected agreement is 1.
    public var kappa: Double?
    /// One entry per class, in class order.
    public var perClass: [ClassMetrics]

    /// Macro Dice equals macro F1 (per-class Dice and F1 are the same number).
    public var diceMacro: Double? { f1Macro }
    /// Micro F1 (= micro precision = micro recall) equals the overall accuracy for single-label segmentation.
    public var f1Micro: Double? { overallAccuracy }

    /// Computes every metric from `matrix`.
    public init(_ matrix: ConfusionMatrix) {
        self = matrix.withFormulas { f in
            let perClass = (0..<matrix.classCount).map { c in
                ClassMetrics(iou: f.iou(c), precision: f.precision(c), recall: f.recall(c), f1: f.f1(c),
                             support: matrix.support(c), predicted: matrix.predicted(c))
            }
            return SegmentationMetrics(
                pixels: matrix.total,
                overallAccuracy: f.overallAccuracy,
                miou: f.meanIoU,
                miouMicro: f.microIoU,
                precisionMacro: f.macroMean(f.precision),
                recallMacro: f.macroMean(f.recall),
                f1Macro: f.macroMean(f.f1),
                kappa: f.kappa,
                perClass: perClass)
        }
    }

    private init(pixels: Int64, overallAccuracy: Double?, miou: Double?, miouMicro: Double?,
                 precisionMacro: Double?, recallMacro: Double?, f1Macro: Double?, kappa: Double?,
                 perClass: [ClassMetrics]) {
        self.pixels = pixels
        self.overallAccuracy = overallAccuracy
        self.miou = miou
        self.miouMicro = miouMicro
        self.precisionMacro = precisionMacro
        self.recallMacro = recallMacro
        self.f1Macro = f1Macro
        self.kappa = kappa
        self.perClass = perClass
    }

    /// The value of a summary metric (the same number the bootstrap recomputes).
    public func value(of metric: SummaryMetric) -> Double? {
        switch metric {
        case .miou: miou
        case .overallAccuracy: overallAccuracy
        case .miouMicro: miouMicro
        case .f1Macro: f1Macro
        case .precisionMacro: precisionMacro
        case .recallMacro: recallMacro
        case .kappa: kappa
        }
    }
}
