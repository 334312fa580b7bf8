public import Foundation

/// `metrics.json` (CONTRACT.md): every key of the contract, `null` for a 0/0 value, written
/// with sorted keys so equal results give equal bytes. Doubles are written in Swift's
/// shortest round-trip form.
public struct MetricsReport: Sendable, Encodable {
    public var geolensVersion: String
    /// Filled by the caller (path, sha256, format of the checkpoint); `null` when unknown.
    public var model: ModelIdentity?
    public var classes: [String]
    public var tiles: Int
    /// Scored pixels N (the sum of the confusion matrix); excluded pixels are `ignoredPixels`.
    public var pixels: Int64
    public var ignoredPixels: Int64
    public var metrics: SegmentationMetrics
    public var confusion: ConfusionMatrix
    public var uncertainty: UncertaintySummary
    /// Bootstrap intervals by metric key (`miou`, `overall_accuracy`, ...); nil when undefined.
    public var ci95: [SummaryMetric: ConfidenceInterval?]
    /// Set when shards were merged on purpose without the whole set (`merge --allow-incomplete`):
    /// the shards merged and those missing, as `I/N`. Absent from complete runs.
    public var incompleteMerge: IncompleteMerge?
    /// Tiles skipped with `on_error: skip` and why (absent when none failed).
    public var failedTiles: [FailedTile]

    /// The shards of a deliberately incomplete merge.
    public struct IncompleteMerge: Sendable, Encodable, Equatable {
        public var merged: [String]
        public var missing: [String]

        public init(merged: [String], missing: [String]) {
            self.merged = merged
            self.missing = missing
        }
    }

    /// Metrics bootstrapped into `ci95` by default: the contract's two plus three cheap extras.
    public static let intervalMetrics: [SummaryMetric] = [.miou, .overallAccuracy, .miouMicro, .f1Macro, .kappa]

    /// The report of `state`. Intervals use `bootstrap` (1000 resamples, seed 0 by default).
    public init(state: EvaluationState, geolensVersion: String, model: ModelIdentity? = nil,
                bootstrap: BootstrapOptions = BootstrapOptions(),
                intervalMetrics: [SummaryMetric] = MetricsReport.intervalMetrics) {
        let totals = state.totals
        self.geolensVersion = geolensVersion
        self.model = model ?? state.model
        classes = state.configuration.classes
        tiles = state.tiles.count
        pixels = totals.pixels
        ignoredPixels = totals.ignoredPixels
        metrics = SegmentationMetrics(totals.confusion)
        confusion = totals.confusion
        uncertainty = UncertaintySummary(totals: totals, classCount: state.configuration.classCount)
        ci95 = state.bootstrapIntervals(intervalMetrics, options: bootstrap)
        failedTiles = state.sortedFailures
    }

    /// The metrics.json bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    private enum CodingKeys: String, CodingKey {
        case geolensVersion = "geolens_version"
        case model, classes, tiles, pixels
        case ignoredPixels = "ignored_pixels"
        case overallAccuracy = "overall_accuracy"
        case miou
        case miouMicro = "miou_micro"
        case precisionMacro = "precision_macro"
        case recallMacro = "recall_macro"
        case f1Macro = "f1_macro"
        case f1Micro = "f1_micro"
        case diceMacro = "dice_macro"
        case kappa
        case perClass = "per_class"
        case confusionMatrix = "confusion_matrix"
        case uncertainty, ci95
        case incompleteMerge = "incomplete_merge"
        case failedTiles = "failed_tiles"
    }

    private struct ClassEntry: Encodable {
        let name: String
        let values: ClassMetrics

        enum CodingKeys: String, CodingKey { case name = "class", iou, precision, recall, f1, dice, support, predicted }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            try c.encode(values.iou, forKey: .iou)
            try c.encode(values.precision, forKey: .precision)
            try c.encode(values.recall, forKey: .recall)
            try c.encode(values.f1, forKey: .f1)
            try c.encode(values.dice, forKey: .dice)
            try c.encode(values.support, forKey: .support)
            try c.encode(values.predicted, forKey: .predicted)
        }
    }

    private struct IntervalKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(geolensVersion, forKey: .geolensVersion)
        try c.encode(model, forKey: .model)
        try c.encode(classes, forKey: .classes)
        try c.encode(tiles, forKey: .tiles)
        try c.encode(pixels, forKey: .pixels)
        try c.encode(ignoredPixels, forKey: .ignoredPixels)
        try c.encode(metrics.overallAccuracy, forKey: .overallAccuracy)
        try c.encode(metrics.miou, forKey: .miou)
        try c.encode(metrics.miouMicro, forKey: .miouMicro)
        try c.encode(metrics.precisionMacro, forKey: .precisionMacro)
        try c.encode(metrics.recallMacro, forKey: .recallMacro)
        try c.encode(metrics.f1Macro, forKey: .f1Macro)
        try c.encode(metrics.f1Micro, forKey: .f1Micro)
        try c.encode(metrics.diceMacro, forKey: .diceMacro)
        try c.encode(metrics.kappa, forKey: .kappa)
        try c.encode(zip(classes, metrics.perClass).map { ClassEntry(name: $0, values: $1) }, forKey: .perClass)
        try c.encode(confusion.rows, forKey: .confusionMatrix)
        try c.encode(uncertainty, forKey: .uncertainty)
        try c.encodeIfPresent(incompleteMerge, forKey: .incompleteMerge)
        if !failedTiles.isEmpty { try c.encode(failedTiles, forKey: .failedTiles) }
        var intervals = c.nestedContainer(keyedBy: IntervalKey.self, forKey: .ci95)
        for (metric, interval) in ci95 {
            try intervals.encode(interval, forKey: IntervalKey(stringValue: metric.rawValue))
        }
    }
}
