/// The 2 x 2 confusion of one label over the tiles: [[tn, fp], [fn, tp]] (torchmetrics'
/// `MultilabelConfusionMatrix` layout).
public struct LabelConfusion: Sendable, Equatable {
    public var trueNegatives: Int64 = 0
    public var falsePositives: Int64 = 0
    public var falseNegatives: Int64 = 0
    public var truePositives: Int64 = 0

    /// [[tn, fp], [fn, tp]].
    public var rows: [[Int64]] { [[trueNegatives, falsePositives], [falseNegatives, truePositives]] }
}

/// Multi-label tile metrics with torchmetrics 1.9 semantics (`Multilabel*`, `zero_division=0`,
/// `thresholds=None`); a label is predicted when its probability is strictly greater than its
/// threshold.
///
/// - `precision_macro`, `recall_macro`, `f1_macro`: the mean over every label (torchmetrics
///   keeps labels that are never labelled nor predicted in multi-label macro means), 0/0 = 0.
/// - `f1_micro`: 2 sum tp / (2 sum tp + sum fp + sum fn) over all labels.
/// - `hamming_distance`: the fraction of (tile, label) decisions that are wrong (macro and
///   micro agree, every label being decided on every tile).
/// - `exact_match`: the fraction of tiles whose predicted set equals the reference set.
/// - `auroc_macro`: the mean of the per-label AUROCs; a label without positive (or negative)
///   tiles has AUROC 0 and counts, as in torchmetrics.
/// - `average_precision_macro`: the mean over every label; a label without positive tiles has
///   average precision 0 (torchmetrics 1.9) and counts.
///
/// Unlabelled tiles are left out of every metric.
public struct MultilabelMetrics: Sendable, Equatable {
    public var tiles: Int
    public var precisionMacro: Double?
    public var recallMacro: Double?
    public var f1Macro: Double?
    public var f1Micro: Double?
    public var hammingDistance: Double?
    public var exactMatch: Double?
    public var aurocMacro: Double?
    public var averagePrecisionMacro: Double?
    public var perClass: [TileClassMetrics]
    public var confusion: [LabelConfusion]

    /// The metrics of the labelled tiles of `state`.
    public init(_ state: ClassificationState) {
        self.init(tiles: state.labelledTiles, thresholds: state.configuration.thresholds)
    }

    /// The metrics of labelled `tiles` with one threshold per label.
    public init(tiles allTiles: [TileScores], thresholds: [Double]) {
        let tiles = allTiles.filter { $0.target != nil }
        let classCount = thresholds.count
        let references = tiles.map { Set($0.target!.indices) }
        var confusion = [LabelConfusion](repeating: LabelConfusion(), count: classCount)
        var exact = 0
        for (tile, reference) in zip(tiles, references) {
            let predicted = tile.predictedClasses(thresholds: thresholds)
            if predicted == reference { exact += 1 }
            for c in 0..<classCount {
                switch (reference.contains(c), predicted.contains(c)) {
                case (true, true): confusion[c].truePositives += 1
                case (true, false): confusion[c].falseNegatives += 1
                case (false, true): confusion[c].falsePositives += 1
                case (false, false): confusion[c].trueNegatives += 1
                }
            }
        }
        self.tiles = tiles.count
        self.confusion = confusion
        let n = Double(tiles.count)
        exactMatch = tiles.isEmpty ? nil : Double(exact) / n

        func ratio(_ a: Double, _ b: Double) -> Double? { b == 0 ? nil : a / b }
        let stats = confusion.map { (tp: Double($0.truePositives), fp: Double($0.falsePositives),
                                     fn: Double($0.falseNegatives), tn: Double($0.trueNegatives)) }
        let curves = (0..<classCount).map { c in
            RankingCurve(scores: tiles.map { $0.probabilities[c] }, positives: references.map { $0.contains(c) })
        }
        perClass = (0..<classCount).map { c in
            let s = stats[c], curve = curves[c]
            return TileClassMetrics(precision: ratio(s.tp, s.tp + s.fp), recall: ratio(s.tp, s.tp + s.fn),
                                    f1: ratio(2 * s.tp, 2 * s.tp + s.fp + s.fn),
                                    support: confusion[c].truePositives + confusion[c].falseNegatives,
                                    predicted: confusion[c].truePositives + confusion[c].falsePositives,
                                    auroc: curve.positiveCount > 0 && curve.negativeCount > 0 ? curve.auroc : nil,
                                    averagePrecision: curve.positiveCount > 0 ? curve.averagePrecision : nil)
        }
        func macro(_ value: (TileClassMetrics) -> Double?) -> Double? {
            tiles.isEmpty || classCount == 0 ? nil : perClass.reduce(0) { $0 + (value($1) ?? 0) } / Double(classCount)
        }
        precisionMacro = macro(\.precision)
        recallMacro = macro(\.recall)
        f1Macro = macro(\.f1)
        let tp = stats.reduce(0) { $0 + $1.tp }, fp = stats.reduce(0) { $0 + $1.fp }, fn = stats.reduce(0) { $0 + $1.fn }
        f1Micro = tiles.isEmpty ? nil : (ratio(2 * tp, 2 * tp + fp + fn) ?? 0)
        hammingDistance = tiles.isEmpty ? nil : (fp + fn) / (n * Double(classCount))
        // torchmetrics 1.9 sets recall to 1 for a label without positives, which makes its
        // average precision the precision at the top score: 0 (RankingMacros).
        (aurocMacro, averagePrecisionMacro) = RankingMacros.values(curves, task: .multilabel)
    }
}
