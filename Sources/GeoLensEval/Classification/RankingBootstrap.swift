import GeoLensTensor

extension RankingCurve {
    /// The curve of a resample: tile `i` counted `weights[i]` times (0: not drawn), walking
    /// `order`, the tiles sorted by descending score once for all resamples. Tiles of equal score
    /// enter together and undrawn tiles add no threshold, so this is exactly the curve of the
    /// drawn tiles listed with repeats, without sorting them again.
    init(order: [Int], scores: [Float], positives: [Bool], weights: UnsafeBufferPointer<Int32>) {
        var thresholds: [Double] = [], tps: [Double] = [], fps: [Double] = []
        var tp = 0.0, fp = 0.0, blockWeight: Int32 = 0
        for (position, index) in order.enumerated() {
            let w = weights[index]
            if w > 0 {
                if positives[index] { tp += Double(w) } else { fp += Double(w) }
                blockWeight += w
            }
            let isLastOfBlock = position == order.count - 1 || scores[order[position + 1]] != scores[index]
            if isLastOfBlock {
                if blockWeight > 0 {
                    thresholds.append(Double(scores[index]))
                    tps.append(tp)
                    fps.append(fp)
                }
                blockWeight = 0
            }
        }
        self.init(thresholds: thresholds, truePositives: tps, falsePositives: fps)
    }
}

/// `auroc_macro` and `average_precision_macro` of one-vs-rest curves (one per class, in class
/// order), with each task's torchmetrics 1.9 conventions: classification averages the AUROCs of
/// every class and the average precisions of the classes with positives (0 for every class when
/// every tile is labelled class 0); multi-label counts a label without positives as 0.
enum RankingMacros {
    static func values(_ curves: [RankingCurve], task: TileTask) -> (auroc: Double?, averagePrecision: Double?) {
        let everyLabelZero = !curves.isEmpty && !curves[0].thresholds.isEmpty && curves[0].negativeCount == 0
        let aurocs = curves.compactMap(\.auroc)
        let precisions = task == .classification
            ? curves.compactMap { $0.averagePrecision ?? (everyLabelZero ? 0 : nil) }
            : (curves.first?.thresholds.isEmpty ?? true ? [] : curves.map { $0.averagePrecision ?? 0 })
        return (aurocs.isEmpty ? nil : aurocs.reduce(0, +) / Double(aurocs.count),
                precisions.isEmpty ? nil : precisions.reduce(0, +) / Double(precisions.count))
    }
}

extension ClassificationBootstrap {
    /// The ranking metrics bootstrapped besides the counting ones.
    public static let rankingKeys = ["auroc_macro", "average_precision_macro"]

    /// Resampled `auroc_macro` and `average_precision_macro`, `values[r * 2 + k]` (NaN where
    /// undefined), from the same draws as `resampledValues` (resample r draws tile indices from
    /// stream r of the seed). With `paired`, the same draws score both runs and the values are
    /// this run's minus `paired`'s. Each class's tiles are sorted by score once; a resample then
    /// walks them with its draw counts, so the cost is resamples x classes x tiles steps, not a sort
    /// per resample.
    static func rankingResampledValues(_ tiles: [TileScores], paired baseline: [TileScores]? = nil,
                                       configuration: ClassificationConfiguration, options: BootstrapOptions) -> [Double] {
        var values = [Double](repeating: .nan, count: options.resamples * 2)
        let tileCount = tiles.count
        guard tileCount > 0 else { return values }
        let classCount = configuration.classCount
        let task = configuration.task
        let references = tiles.map { Set($0.target!.indices) }
        struct Column { let scores: [Float]; let positives: [Bool]; let order: [Int] }
        func columns(_ run: [TileScores]) -> [Column] {
            (0..<classCount).map { c in
                let scores = run.map { $0.probabilities[c] }
                return Column(scores: scores, positives: references.map { $0.contains(c) },
                              order: scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) })
            }
        }
        let runColumns = columns(tiles), baseColumns = baseline.map(columns)
        func macros(_ columns: [Column], _ weights: UnsafeBufferPointer<Int32>) -> (Double?, Double?) {
            let curves = columns.map { RankingCurve(order: $0.order, scores: $0.scores, positives: $0.positives, weights: weights) }
            return RankingMacros.values(curves, task: task)
        }
        let root = SeededGenerator(seed: options.seed)
        let workers = max(1, min(Parallel.threadCount, options.resamples))
        values.withUnsafeMutableBufferPointer { values in
            Parallel.forEach(workers) { worker in
                var weights = [Int32](repeating: 0, count: tileCount)
                for r in (options.resamples * worker / workers)..<(options.resamples * (worker + 1) / workers) {
                    var rng = root.split(stream: UInt64(r))
                    for i in 0..<tileCount { weights[i] = 0 }
                    for _ in 0..<tileCount { weights[TileBootstrap.uniformIndex(below: tileCount, using: &rng)] += 1 }
                    weights.withUnsafeBufferPointer { weights in
                        let run = macros(runColumns, weights)
                        let base = baseColumns.map { macros($0, weights) }
                        let pairs = [(run.0, base?.0), (run.1, base?.1)]
                        for (k, (b, a)) in pairs.enumerated() {
                            if base != nil {
                                if let b, let a { values[r * 2 + k] = b - a }
                            } else {
                                values[r * 2 + k] = b ?? .nan
                            }
                        }
                    }
                }
            }
        }
        return values
    }

    /// Percentile intervals of `auroc_macro` and `average_precision_macro` of the labelled tiles.
    public static func rankingIntervals(_ state: ClassificationState,
                                        options: BootstrapOptions = BootstrapOptions()) -> [String: ConfidenceInterval?] {
        let values = rankingResampledValues(state.labelledTiles, configuration: state.configuration, options: options)
        var result: [String: ConfidenceInterval?] = [:]
        for (k, key) in rankingKeys.enumerated() {
            let column = Swift.stride(from: k, to: values.count, by: 2).map { values[$0] }
            result[key] = TileBootstrap.percentileInterval(column, confidence: options.confidence)
        }
        return result
    }
}
