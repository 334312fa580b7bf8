public import Foundation

/// `comparison.json` of tile-task runs (`geolens compare` on classification or multi-label run
/// directories): each run's metrics on the compared tiles, and for each run B against the first
/// run A the deltas B - A with, for the counting metrics, the paired bootstrap of METRICS.md
/// (one resampled tile set counted in both runs; 95 % interval; two-sided p-value = 2 x the
/// fraction of resamples whose delta does not share the observed sign, capped at 1), and the
/// same for `auroc_macro` and `average_precision_macro` (`rankingResampledValues`). Tile outcomes count where the runs are right
/// (top-1 class, or the whole label set) and list the tiles where their predictions differ;
/// McNemar's test (`McNemarTest`) compares the two runs' right/wrong outcomes on the labelled tiles.
public struct ClassificationComparison: Sendable, Encodable {
    /// One compared run.
    public struct Run: Sendable {
        public var name: String
        public var path: String
        public var state: ClassificationState
        public var report: ClassificationReport
    }

    /// B - A of one metric.
    public struct Delta: Sendable, Encodable, Equatable {
        public var metric: String
        public var a: Double?
        public var b: Double?
        public var delta: Double?
        public var ci95: ConfidenceInterval?
        public var pValue: Double?

        private enum CodingKeys: String, CodingKey { case metric, a, b, delta, ci95, pValue = "p_value" }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(metric, forKey: .metric)
            try c.encode(a, forKey: .a)
            try c.encode(b, forKey: .b)
            try c.encode(delta, forKey: .delta)
            try c.encode(ci95, forKey: .ci95)
            try c.encode(pValue, forKey: .pValue)
        }
    }

    /// A tile where the two runs predict differently.
    public struct Disagreement: Sendable, Encodable, Equatable {
        public var tile: String
        public var label: String?
        public var a: String
        public var b: String
    }

    /// Run B against run A.
    public struct Pair: Sendable, Encodable {
        public var a: String
        public var b: String
        public var deltas: [Delta]
        /// Labelled tiles right in both runs, only in A, only in B, in neither.
        public var bothRight: Int, onlyA: Int, onlyB: Int, neither: Int
        /// McNemar's test on `onlyA` (b) and `onlyB` (c).
        public var mcnemar: McNemarTest
        public var disagreements: [Disagreement]

        private enum CodingKeys: String, CodingKey {
            case a, b, deltas, disagreements, mcnemar
            case bothRight = "both_right", onlyA = "only_a", onlyB = "only_b", neither
        }
    }

    public var task: TileTask
    public var classes: [String]
    public var tiles: Int
    public var runs: [Run]
    public var pairs: [Pair]
    public var resamples: Int
    public var geolensVersion: String

    /// Compares `runs` (the first is A) on the tiles they all scored.
    ///
    /// - Throws: `EvaluationError` when the runs differ in task, classes or thresholds, when a
    ///   tile is scored in one run only (unless `commonSubset`), or when a tile's label differs
    ///   between runs (they were scored against different label tables).
    public init(_ inputs: [(name: String, path: String, state: ClassificationState)], commonSubset: Bool = false,
                geolensVersion: String, bootstrap: BootstrapOptions = BootstrapOptions()) throws {
        guard let first = inputs.first, inputs.count >= 2 else {
            throw EvaluationError(.configurationMismatch, "compare: give at least two runs")
        }
        var ids = Set(first.state.tiles.keys)
        for input in inputs.dropFirst() {
            if let difference = first.state.configuration.firstDifference(from: input.state.configuration) {
                throw EvaluationError(.configurationMismatch,
                    "compare: \(input.path) has \(difference) different from \(first.path); compare runs of one task and class list")
            }
            let other = Set(input.state.tiles.keys)
            if !commonSubset, let missing = ids.symmetricDifference(other).sorted().first {
                throw EvaluationError(.tileSetMismatch, "compare: tile \"\(missing)\" was scored in one run only; compare runs "
                                      + "evaluated on the same tiles (or pass --common-subset)")
            }
            ids.formIntersection(other)
        }
        let sorted = ids.sorted()
        for id in sorted {
            let label = first.state.tiles[id]!.target
            if let input = inputs.first(where: { $0.state.tiles[id]!.target != label }) {
                throw EvaluationError(.tileSetMismatch, "compare: tile \"\(id)\" has different labels in \(first.path) and "
                                      + "\(input.path); compare runs scored against the same labels")
            }
        }
        func restricted(_ state: ClassificationState) -> ClassificationState {
            var copy = ClassificationState(configuration: state.configuration, model: state.model)
            for id in sorted { copy.record(state.tiles[id]!, tile: id) }
            return copy
        }
        let configuration = first.state.configuration
        task = configuration.task
        classes = configuration.classes
        tiles = sorted.count
        resamples = bootstrap.resamples
        self.geolensVersion = geolensVersion
        runs = inputs.map { input in
            let state = restricted(input.state)
            return Run(name: input.name, path: input.path, state: state,
                       report: ClassificationReport(state: state, geolensVersion: geolensVersion, bootstrap: bootstrap))
        }
        let runA = runs[0]
        pairs = runs.dropFirst().map { runB in Self.pair(runA, runB, bootstrap: bootstrap) }
    }

    static func pair(_ runA: Run, _ runB: Run, bootstrap: BootstrapOptions) -> Pair {
        let configuration = runA.state.configuration
        let keys = ClassificationBootstrap.metricKeys(configuration.task)
        let codesA = ClassificationBootstrap.Codes(runA.state.labelledTiles, configuration: configuration)
        let codesB = ClassificationBootstrap.Codes(runB.state.labelledTiles, configuration: configuration)
        let resampled = ClassificationBootstrap.resampledValues(codesB, paired: codesA, options: bootstrap)
        let pointA = runA.report.values, pointB = runB.report.values
        let ranking = ClassificationBootstrap.rankingResampledValues(runB.state.labelledTiles, paired: runA.state.labelledTiles,
                                                                     configuration: configuration, options: bootstrap)
        var deltas: [Delta] = []
        let allKeys = keys + ClassificationBootstrap.rankingKeys
        for (k, key) in allKeys.enumerated() {
            let (source, stride, offset) = k < keys.count ? (resampled, keys.count, k) : (ranking, 2, k - keys.count)
            let column = Swift.stride(from: offset, to: source.count, by: stride).map { source[$0] }.filter { !$0.isNaN }
            let a = pointA[key] ?? nil, b = pointB[key] ?? nil
            let observed = a.flatMap { a in b.map { $0 - a } }
            var pValue: Double?
            if let observed, !column.isEmpty {
                let flips = column.filter { observed > 0 ? $0 <= 0 : (observed < 0 ? $0 >= 0 : true) }.count
                pValue = min(1, 2 * Double(flips) / Double(column.count))
            }
            deltas.append(Delta(metric: key, a: a, b: b, delta: observed,
                                ci95: TileBootstrap.percentileInterval(column, confidence: bootstrap.confidence), pValue: pValue))
        }
        var counts = (both: 0, onlyA: 0, onlyB: 0, neither: 0)
        var disagreements: [Disagreement] = []
        let classes = configuration.classes
        func names(_ indices: some Sequence<Int>) -> String { indices.sorted().map { classes[$0] }.joined(separator: ";") }
        for id in runA.state.sortedTileIDs {
            let tileA = runA.state.tiles[id]!, tileB = runB.state.tiles[id]!
            let (predictedA, predictedB): (Set<Int>, Set<Int>) = configuration.task == .classification
                ? ([tileA.predictedClass], [tileB.predictedClass])
                : (tileA.predictedClasses(thresholds: configuration.thresholds), tileB.predictedClasses(thresholds: configuration.thresholds))
            if let target = tileA.target {
                let reference = Set(target.indices)
                switch (predictedA == reference, predictedB == reference) {
                case (true, true): counts.both += 1
                case (true, false): counts.onlyA += 1
                case (false, true): counts.onlyB += 1
                case (false, false): counts.neither += 1
                }
            }
            if predictedA != predictedB {
                disagreements.append(Disagreement(tile: id, label: tileA.target.map { names($0.indices) },
                                                  a: names(predictedA), b: names(predictedB)))
            }
        }
        return Pair(a: runA.name, b: runB.name, deltas: deltas, bothRight: counts.both, onlyA: counts.onlyA,
                    onlyB: counts.onlyB, neither: counts.neither, mcnemar: McNemarTest(b: counts.onlyA, c: counts.onlyB),
                    disagreements: disagreements)
    }

    private enum CodingKeys: String, CodingKey {
        case task, classes, tiles, runs, pairs, resamples
        case geolensVersion = "geolens_version"
    }

    private struct RunEntry: Encodable {
        let name: String, path: String, metrics: [String: Double?], ci95: [String: ConfidenceInterval?]
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(geolensVersion, forKey: .geolensVersion)
        try c.encode(task, forKey: .task)
        try c.encode(classes, forKey: .classes)
        try c.encode(tiles, forKey: .tiles)
        try c.encode(resamples, forKey: .resamples)
        try c.encode(runs.map { RunEntry(name: $0.name, path: $0.path, metrics: $0.report.values, ci95: $0.report.ci95) },
                     forKey: .runs)
        try c.encode(pairs, forKey: .pairs)
    }

    /// The comparison.json bytes (sorted keys).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

extension ClassificationReport {
    /// The scalar metrics of the report by metrics.json key (the summary values a comparison shows).
    public var values: [String: Double?] {
        switch metrics {
        case .classification(let m):
            var values: [String: Double?] = [
                "overall_accuracy": m.overallAccuracy, "accuracy_macro": m.accuracyMacro, "precision_macro": m.precisionMacro,
                "recall_macro": m.recallMacro, "f1_macro": m.f1Macro, "f1_micro": m.f1Micro, "f1_weighted": m.f1Weighted,
                "kappa": m.kappa, "auroc_macro": m.aurocMacro, "average_precision_macro": m.averagePrecisionMacro, "ece": m.ece,
            ]
            for (k, value) in m.topKAccuracy { values["top_\(k)_accuracy"] = value }
            return values
        case .multilabel(let m):
            return ["precision_macro": m.precisionMacro, "recall_macro": m.recallMacro, "f1_macro": m.f1Macro, "f1_micro": m.f1Micro,
                    "hamming_distance": m.hammingDistance, "exact_match": m.exactMatch, "auroc_macro": m.aurocMacro,
                    "average_precision_macro": m.averagePrecisionMacro]
        }
    }
}
