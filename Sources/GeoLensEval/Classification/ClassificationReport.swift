public import Foundation

/// `metrics.json` of a tile task (README "Classification metrics"): the task, classes, tile
/// counts and the metrics of `ClassificationMetrics` or `MultilabelMetrics` under their
/// torchmetrics-style names, `null` for undefined values, sorted keys.
public struct ClassificationReport: Sendable, Encodable {
    public enum Metrics: Sendable {
        case classification(ClassificationMetrics)
        case multilabel(MultilabelMetrics)
    }

    public var geolensVersion: String
    public var model: ModelIdentity?
    public var configuration: ClassificationConfiguration
    /// Every tile scored (labelled or not).
    public var tiles: Int
    /// Tiles without a label (scored, kept in per_tile.csv, left out of the metrics).
    public var unlabelledTiles: Int
    /// Tiles skipped under `on_error: skip`, with their errors (`failed_tiles`, only when any).
    public var failedTiles: [FailedTile]
    public var metrics: Metrics
    /// Bootstrap intervals of the counting metrics by key (`ClassificationBootstrap`).
    public var ci95: [String: ConfidenceInterval?]

    /// The report of `state`; intervals use `bootstrap` (1000 resamples, seed 0 by default).
    public init(state: ClassificationState, geolensVersion: String, model: ModelIdentity? = nil,
                bootstrap: BootstrapOptions = BootstrapOptions()) {
        self.geolensVersion = geolensVersion
        self.model = model ?? state.model
        configuration = state.configuration
        tiles = state.tiles.count
        unlabelledTiles = state.tiles.values.filter { $0.target == nil }.count
        failedTiles = state.sortedFailures
        metrics = switch state.configuration.task {
        case .classification: .classification(ClassificationMetrics(state))
        case .multilabel: .multilabel(MultilabelMetrics(state))
        }
        ci95 = ClassificationBootstrap.intervals(state, options: bootstrap)
            .merging(ClassificationBootstrap.rankingIntervals(state, options: bootstrap)) { a, _ in a }
    }

    /// The headline value of the task: overall accuracy (classification) or macro F1 (multi-label).
    public var headline: (name: String, value: Double?) {
        switch metrics {
        case .classification(let m): ("overall accuracy", m.overallAccuracy)
        case .multilabel(let m): ("macro F1", m.f1Macro)
        }
    }

    /// The metrics.json bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    private struct Key: CodingKey {
        let stringValue: String
        init(_ string: String) { stringValue = string }
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    private struct ClassEntry: Encodable {
        let name: String
        let values: TileClassMetrics
        let confusion: LabelConfusion?

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(name, forKey: Key("class"))
            try c.encode(values.precision, forKey: Key("precision"))
            try c.encode(values.recall, forKey: Key("recall"))
            try c.encode(values.f1, forKey: Key("f1"))
            try c.encode(values.support, forKey: Key("support"))
            try c.encode(values.predicted, forKey: Key("predicted"))
            try c.encode(values.auroc, forKey: Key("auroc"))
            try c.encode(values.averagePrecision, forKey: Key("average_precision"))
            if let confusion { try c.encode(confusion.rows, forKey: Key("confusion")) }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(geolensVersion, forKey: Key("geolens_version"))
        try c.encode(model, forKey: Key("model"))
        try c.encode(configuration.task.rawValue, forKey: Key("task"))
        try c.encode(configuration.classes, forKey: Key("classes"))
        try c.encode(tiles, forKey: Key("tiles"))
        try c.encode(tiles - unlabelledTiles, forKey: Key("labelled_tiles"))
        try c.encode(unlabelledTiles, forKey: Key("unlabelled_tiles"))
        if !failedTiles.isEmpty { try c.encode(failedTiles, forKey: Key("failed_tiles")) }
        var intervals = c.nestedContainer(keyedBy: Key.self, forKey: Key("ci95"))
        for (key, interval) in ci95 { try intervals.encode(interval, forKey: Key(key)) }
        let classes = configuration.classes
        switch metrics {
        case .classification(let m):
            try c.encode(m.overallAccuracy, forKey: Key("overall_accuracy"))
            try c.encode(m.accuracyMacro, forKey: Key("accuracy_macro"))
            var topK = c.nestedContainer(keyedBy: Key.self, forKey: Key("top_k_accuracy"))
            for (k, value) in m.topKAccuracy { try topK.encode(value, forKey: Key(String(k))) }
            try c.encode(m.precisionMacro, forKey: Key("precision_macro"))
            try c.encode(m.recallMacro, forKey: Key("recall_macro"))
            try c.encode(m.f1Macro, forKey: Key("f1_macro"))
            try c.encode(m.f1Micro, forKey: Key("f1_micro"))
            try c.encode(m.f1Weighted, forKey: Key("f1_weighted"))
            try c.encode(m.kappa, forKey: Key("kappa"))
            try c.encode(m.aurocMacro, forKey: Key("auroc_macro"))
            try c.encode(m.averagePrecisionMacro, forKey: Key("average_precision_macro"))
            try c.encode(zip(classes, m.perClass).map { ClassEntry(name: $0, values: $1, confusion: nil) }, forKey: Key("per_class"))
            try c.encode(m.confusion.rows, forKey: Key("confusion_matrix"))
            var uncertainty = c.nestedContainer(keyedBy: Key.self, forKey: Key("uncertainty"))
            try uncertainty.encode(m.ece, forKey: Key("ece"))
            try uncertainty.encode(m.calibration.binCount, forKey: Key("ece_bins"))
            try uncertainty.encode(m.meanEntropy, forKey: Key("mean_entropy"))
            try uncertainty.encode(m.meanEntropy.map { classes.count > 1 ? $0 / log(Double(classes.count)) : 0 },
                                   forKey: Key("mean_entropy_normalized"))
        case .multilabel(let m):
            try c.encode(configuration.thresholds, forKey: Key("thresholds"))
            try c.encode(m.precisionMacro, forKey: Key("precision_macro"))
            try c.encode(m.recallMacro, forKey: Key("recall_macro"))
            try c.encode(m.f1Macro, forKey: Key("f1_macro"))
            try c.encode(m.f1Micro, forKey: Key("f1_micro"))
            try c.encode(m.hammingDistance, forKey: Key("hamming_distance"))
            try c.encode(m.exactMatch, forKey: Key("exact_match"))
            try c.encode(m.aurocMacro, forKey: Key("auroc_macro"))
            try c.encode(m.averagePrecisionMacro, forKey: Key("average_precision_macro"))
            try c.encode(zip(classes, zip(m.perClass, m.confusion)).map { ClassEntry(name: $0, values: $1.0, confusion: $1.1) },
                         forKey: Key("per_class"))
            try c.encode(m.confusion.map(\.rows), forKey: Key("confusion_matrix"))
        }
    }
}
