import Foundation

/// The metrics of one class of a tile task. Ratios that are 0/0 are nil (`null`), as in
/// segmentation; `auroc` is nil without positive or without negative tiles, `averagePrecision`
/// without positive tiles (the macro means count those classes as 0, as torchmetrics 1.9 does).
public struct TileClassMetrics: Sendable, Equatable {
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
    /// Labelled tiles of the class.
    public var support: Int64
    /// Tiles predicted as the class.
    public var predicted: Int64
    public var auroc: Double?
    public var averagePrecision: Double?
}

/// Single-label tile classification metrics with torchmetrics 1.9 semantics (`Multiclass*`
/// with `average="micro" | "macro" | "weighted"`, `zero_division=0`, `thresholds=None`).
///
/// - `overall_accuracy` (= `f1_micro`): top-1 correct / tiles; the top-1 class is the first
///   index of the largest probability (torch.argmax).
/// - `accuracy_macro`, `precision_macro`, `recall_macro`, `f1_macro`: the mean over classes
///   with tp + fp + fn > 0 (a class neither labelled nor predicted is left out), a 0/0 inside
///   such a class counting 0. `accuracy_macro` is the macro recall (MulticlassAccuracy macro).
/// - `f1_weighted`: per-class F1 weighted by support.
/// - `top_k_accuracy[k]`: tiles whose label is among the k most probable classes, for
///   k = 2 ... min(5, K - 1); probabilities tied at the k-th place go to the lower class index.
/// - `kappa`: Cohen's kappa of the confusion matrix.
/// - `auroc_macro`: the mean of the one-vs-rest AUROCs of every class; as in torchmetrics a
///   class without positive (or without negative) tiles has AUROC 0 and still counts.
/// - `average_precision_macro`: the mean of the one-vs-rest average precisions over the classes
///   that have positive tiles (torchmetrics 1.9 gets NaN for the others and leaves them out).
///   One quirk is kept so the numbers agree: torchmetrics tests "no positives" as "every label
///   is 0", so when every tile is labelled class 0 the other classes count with AP 0.
/// - `ece`: top-label expected calibration error over `calibrationBins` equal bins (METRICS.md).
///
/// Unlabelled tiles are left out of every metric.
public struct ClassificationMetrics: Sendable, Equatable {
    public var tiles: Int
    public var overallAccuracy: Double?
    public var accuracyMacro: Double?
    /// By k (2 ... 5, k < K).
    public var topKAccuracy: [Int: Double?]
    public var precisionMacro: Double?
    public var recallMacro: Double?
    public var f1Macro: Double?
    public var f1Weighted: Double?
    public var kappa: Double?
    public var aurocMacro: Double?
    public var averagePrecisionMacro: Double?
    public var perClass: [TileClassMetrics]
    public var confusion: ConfusionMatrix
    public var calibration: CalibrationBins
    /// The mean entropy of the tiles' probabilities (natural log).
    public var meanEntropy: Double?

    /// f1_micro equals the overall accuracy for single-label classification.
    public var f1Micro: Double? { overallAccuracy }
    public var ece: Double? { calibration.expectedCalibrationError }

    /// The metrics of the labelled tiles of `state`.
    public init(_ state: ClassificationState) {
        self.init(tiles: state.labelledTiles, classCount: state.configuration.classCount,
                  calibrationBins: state.configuration.calibrationBins)
    }

    /// The metrics of labelled `tiles` (in a fixed order; unlabelled ones are skipped).
    public init(tiles allTiles: [TileScores], classCount: Int, calibrationBins: Int = 15) {
        let tiles = allTiles.filter { $0.target != nil }
        var confusion = ConfusionMatrix(classCount: classCount)
        var calibration = CalibrationBins(binCount: calibrationBins)
        var entropy = 0.0
        var labels: [Int] = []
        for tile in tiles {
            guard case .single(let label) = tile.target! else {
                preconditionFailure("ClassificationMetrics: a multi-label target in a classification state")
            }
            let predicted = tile.predictedClass
            confusion.add(reference: label, predicted: predicted)
            calibration.add(confidence: Double(tile.probabilities[predicted]), correct: predicted == label)
            for p in tile.probabilities where p > 0 { entropy -= Double(p) * log(Double(p)) }
            labels.append(label)
        }
        self.tiles = tiles.count
        self.confusion = confusion
        self.calibration = calibration
        meanEntropy = tiles.isEmpty ? nil : entropy / Double(tiles.count)

        var topK: [Int: Double?] = [:]
        for k in 2..<max(2, min(6, classCount)) {  // k = 2 ... 5 with k < K
            let hits = zip(tiles, labels).filter { $0.0.rank(of: $0.1) < k }.count
            topK[k] = tiles.isEmpty ? nil : Double(hits) / Double(tiles.count)
        }
        topKAccuracy = topK

        let curves = (0..<classCount).map { c in
            RankingCurve(scores: tiles.map { $0.probabilities[c] }, positives: labels.map { $0 == c })
        }
        (aurocMacro, averagePrecisionMacro) = RankingMacros.values(curves, task: .classification)
        let f = confusion.withFormulas { f in
            (overall: f.overallAccuracy, precision: f.macroMean(f.precision), recall: f.macroMean(f.recall),
             f1: f.macroMean(f.f1), kappa: f.kappa,
             weighted: f.total > 0 ? (0..<classCount).reduce(0.0) { $0 + f.rowSum($1) * (f.f1($1) ?? 0) } / f.total : nil,
             perClass: (0..<classCount).map { c in (f.precision(c), f.recall(c), f.f1(c)) })
        }
        overallAccuracy = f.overall
        precisionMacro = f.precision
        recallMacro = f.recall
        accuracyMacro = f.recall
        f1Macro = f.f1
        f1Weighted = f.weighted
        kappa = f.kappa
        let perClass = (0..<classCount).map { c in
            let curve = curves[c]
            let hasBoth = curve.positiveCount > 0 && curve.negativeCount > 0
            return TileClassMetrics(precision: f.perClass[c].0, recall: f.perClass[c].1, f1: f.perClass[c].2,
                                    support: confusion.support(c), predicted: confusion.predicted(c),
                                    auroc: hasBoth ? curve.auroc : nil, averagePrecision: curve.positiveCount > 0 ? curve.averagePrecision : nil)
        }
        self.perClass = perClass
    }
}
