public import Foundation
public import GeoLensEval

/// `comparison.json`: per run the metrics with bootstrap intervals, per pair of runs the
/// paired-bootstrap deltas (B - A) with interval and p-value, per-class IoU deltas and per-tile
/// win/loss counts. Keys are sorted so equal inputs give equal bytes.
public struct ComparisonSummary: Sendable, Encodable {
    public struct Run: Sendable, Encodable {
        public var name: String
        public var path: String
        public var model: ModelIdentity?
        public var tiles: Int
        public var metrics: [String: Double?]
        public var ci95: [String: ConfidenceInterval?]
        public var perClassIoU: [String: Double?]

        enum CodingKeys: String, CodingKey {
            case name, path, model, tiles, metrics, ci95
            case perClassIoU = "per_class_iou"
        }
    }

    /// Tile-level outcome counts on tile mIoU: B better, A better, equal (or undefined).
    public struct TileCounts: Sendable, Encodable, Equatable {
        public var bBetter: Int
        public var aBetter: Int
        public var ties: Int

        enum CodingKeys: String, CodingKey {
            case bBetter = "b_better"
            case aBetter = "a_better"
            case ties
        }
    }

    public struct Pair: Sendable, Encodable {
        public var a: String
        public var b: String
        public var comparisons: [PairedComparison]
        public var perClassIoUDelta: [String: Double?]
        public var tiles: TileCounts

        enum CodingKeys: String, CodingKey {
            case a, b, comparisons, tiles
            case perClassIoUDelta = "per_class_iou_delta"
        }
    }

    public var geolensVersion: String
    public var classes: [String]
    public var tiles: Int
    /// Tiles left out because not every run scored them (`--common-subset`).
    public var droppedTiles: Int
    public var bootstrapResamples: Int
    public var runs: [Run]
    public var pairs: [Pair]

    enum CodingKeys: String, CodingKey {
        case geolensVersion = "geolens_version"
        case classes, tiles, runs, pairs
        case droppedTiles = "dropped_tiles"
        case bootstrapResamples = "bootstrap_resamples"
    }

    /// Metrics compared pair-wise with the paired bootstrap.
    public static let pairedMetrics: [SummaryMetric] = [.miou, .overallAccuracy, .f1Macro, .kappa]

    /// Computes the summary of prepared runs (see `ComparisonInputs.prepare`).
    public init(runs: [ComparedRun], droppedTiles: Int = 0, geolensVersion: String,
                bootstrap: BootstrapOptions = BootstrapOptions()) throws {
        precondition(runs.count >= 2, "ComparisonSummary: \(runs.count) runs, need at least 2")
        let classes = runs[0].state.configuration.classes
        self.geolensVersion = geolensVersion
        self.classes = classes
        self.tiles = runs[0].state.tiles.count
        self.droppedTiles = droppedTiles
        self.bootstrapResamples = bootstrap.resamples
        self.runs = runs.map { run in
            let report = MetricsReport(state: run.state, geolensVersion: geolensVersion, bootstrap: bootstrap)
            var metrics: [String: Double?] = [:]
            for metric in SummaryMetric.allCases { metrics[metric.rawValue] = report.metrics.value(of: metric) }
            var intervals: [String: ConfidenceInterval?] = [:]
            for (metric, interval) in report.ci95 { intervals[metric.rawValue] = interval }
            return Run(name: run.name, path: run.path, model: run.state.model, tiles: run.state.tiles.count,
                       metrics: metrics, ci95: intervals,
                       perClassIoU: Dictionary(uniqueKeysWithValues: zip(classes, report.metrics.perClass.map(\.iou))))
        }
        var pairs: [Pair] = []
        for i in 0..<runs.count {
            for j in (i + 1)..<runs.count {
                pairs.append(try Self.pair(runs[i], runs[j], classes: classes, bootstrap: bootstrap))
            }
        }
        self.pairs = pairs
    }

    /// The paired comparison of B against A.
    static func pair(_ a: ComparedRun, _ b: ComparedRun, classes: [String], bootstrap: BootstrapOptions) throws -> Pair {
        let comparisons = try pairedMetrics.map {
            try EvaluationState.pairedComparison(baseline: a.state, candidate: b.state, metric: $0, options: bootstrap)
        }
        let iouA = a.state.metrics.perClass.map(\.iou), iouB = b.state.metrics.perClass.map(\.iou)
        var deltas: [String: Double?] = [:]
        for (k, name) in classes.enumerated() {
            if let x = iouA[k], let y = iouB[k] { deltas[name] = y - x } else { deltas[name] = .some(nil) }
        }
        var counts = TileCounts(bBetter: 0, aBetter: 0, ties: 0)
        for id in a.state.sortedTileIDs {
            let x = SegmentationMetrics(a.state.tiles[id]!.confusion).miou
            let y = SegmentationMetrics(b.state.tiles[id]!.confusion).miou
            if let x, let y, y > x { counts.bBetter += 1 } else if let x, let y, x > y { counts.aBetter += 1 } else { counts.ties += 1 }
        }
        return Pair(a: a.name, b: b.name, comparisons: comparisons, perClassIoUDelta: deltas, tiles: counts)
    }

    /// The comparison.json bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }
}
