import GeoLensTensor

/// Percentile bootstrap over tiles for tile tasks: the `ci95` of a classification or multi-label
/// `metrics.json` and the paired deltas of `geolens compare`.
///
/// Only the counting metrics are bootstrapped: classification `overall_accuracy`,
/// `accuracy_macro`, `f1_macro` and `kappa` (from a K x K matrix of the drawn tiles' label and
/// top-1 class), multi-label `f1_macro`, `f1_micro`, `exact_match` and `hamming_distance` (from
/// the drawn tiles' per-label outcomes); `auroc_macro` and `average_precision_macro` from the same
/// draws in `rankingResampledValues` (RankingBootstrap.swift). Each tile is kept as two integers (or K outcome codes), and resample r
/// draws from stream r of the seed, as `TileBootstrap`, so results do not depend on the thread
/// count.
public enum ClassificationBootstrap {
    /// The metrics.json keys bootstrapped for `task`, in order.
    public static func metricKeys(_ task: TileTask) -> [String] {
        task == .classification ? ["overall_accuracy", "accuracy_macro", "f1_macro", "kappa"]
            : ["f1_macro", "f1_micro", "exact_match", "hamming_distance"]
    }

    /// The labelled tiles of a state as the bootstrap counts them: per tile the label and top-1
    /// class, or one outcome code per label (0 tn, 1 fp, 2 fn, 3 tp).
    struct Codes {
        let task: TileTask
        let classCount: Int
        let values: [Int]
        var stride: Int { task == .classification ? 2 : classCount }
        var tileCount: Int { values.count / stride }

        init(_ tiles: [TileScores], configuration: ClassificationConfiguration) {
            task = configuration.task
            classCount = configuration.classCount
            values = switch configuration.task {
            case .classification:
                tiles.flatMap { [$0.target!.indices[0], $0.predictedClass] }
            case .multilabel:
                tiles.flatMap { tile -> [Int] in
                    let reference = Set(tile.target!.indices), predicted = tile.predictedClasses(thresholds: configuration.thresholds)
                    return (0..<configuration.classCount).map { (reference.contains($0) ? 2 : 0) + (predicted.contains($0) ? 1 : 0) }
                }
            }
        }

        /// The metric values (`metricKeys` order) of the tiles `draws` (indices, repeats allowed).
        func metrics(_ draws: UnsafeBufferPointer<Int>, counts: inout [Int64]) -> [Double?] {
            for i in counts.indices { counts[i] = 0 }
            var exact = 0
            for tile in draws {
                let base = tile * stride
                if task == .classification {
                    counts[values[base] * classCount + values[base + 1]] += 1
                } else {
                    var right = true
                    for c in 0..<classCount {
                        let code = values[base + c]
                        counts[c * 4 + code] += 1
                        if code == 1 || code == 2 { right = false }
                    }
                    if right { exact += 1 }
                }
            }
            return task == .classification ? classificationValues(counts, classCount: classCount)
                : multilabelValues(counts, classCount: classCount, exact: exact, tiles: draws.count)
        }

        var countsSize: Int { task == .classification ? classCount * classCount : classCount * 4 }
    }

    /// Resampled metric values, `values[r * keys + k]` (NaN where 0/0); with `paired`, the same
    /// draws are counted in both and the function returns `codes`' values minus `paired`'s.
    static func resampledValues(_ codes: Codes, paired baseline: Codes? = nil, options: BootstrapOptions) -> [Double] {
        let keyCount = metricKeys(codes.task).count
        var values = [Double](repeating: .nan, count: options.resamples * keyCount)
        let tileCount = codes.tileCount
        guard tileCount > 0 else { return values }
        let root = SeededGenerator(seed: options.seed)
        let workers = max(1, min(Parallel.threadCount, options.resamples))
        values.withUnsafeMutableBufferPointer { values in
            Parallel.forEach(workers) { worker in
                var counts = [Int64](repeating: 0, count: codes.countsSize)
                var draws = [Int](repeating: 0, count: tileCount)
                for r in (options.resamples * worker / workers)..<(options.resamples * (worker + 1) / workers) {
                    var rng = root.split(stream: UInt64(r))
                    for t in 0..<tileCount { draws[t] = TileBootstrap.uniformIndex(below: tileCount, using: &rng) }
                    draws.withUnsafeBufferPointer { draws in
                        let run = codes.metrics(draws, counts: &counts)
                        let base = baseline.map { $0.metrics(draws, counts: &counts) }
                        for k in 0..<keyCount {
                            if let base {
                                if let b = run[k], let a = base[k] { values[r * keyCount + k] = b - a }
                            } else {
                                values[r * keyCount + k] = run[k] ?? .nan
                            }
                        }
                    }
                }
            }
        }
        return values
    }

    /// Percentile intervals by metric key (nil where every resample was 0/0).
    public static func intervals(_ state: ClassificationState,
                                 options: BootstrapOptions = BootstrapOptions()) -> [String: ConfidenceInterval?] {
        let keys = metricKeys(state.configuration.task)
        let values = resampledValues(Codes(state.labelledTiles, configuration: state.configuration), options: options)
        var result: [String: ConfidenceInterval?] = [:]
        for (k, key) in keys.enumerated() {
            let column = Swift.stride(from: k, to: values.count, by: keys.count).map { values[$0] }
            result[key] = TileBootstrap.percentileInterval(column, confidence: options.confidence)
        }
        return result
    }

    /// overall_accuracy, accuracy_macro, f1_macro, kappa of a K x K count matrix (the formulas of
    /// `ClassificationMetrics`).
    static func classificationValues(_ counts: [Int64], classCount: Int) -> [Double?] {
        counts.withUnsafeBufferPointer { buffer in
            let f = ConfusionCounts(buffer, classCount: classCount)
            return [f.overallAccuracy, f.macroMean(f.recall), f.macroMean(f.f1), f.kappa]
        }
    }

    /// f1_macro, f1_micro, exact_match, hamming_distance from per-label [tn, fp, fn, tp] counts
    /// (the formulas of `MultilabelMetrics`).
    static func multilabelValues(_ counts: [Int64], classCount: Int, exact: Int, tiles: Int) -> [Double?] {
        var f1Sum = 0.0, tp = 0.0, fp = 0.0, fn = 0.0
        for c in 0..<classCount {
            let (cfp, cfn, ctp) = (Double(counts[c * 4 + 1]), Double(counts[c * 4 + 2]), Double(counts[c * 4 + 3]))
            f1Sum += 2 * ctp + cfp + cfn > 0 ? 2 * ctp / (2 * ctp + cfp + cfn) : 0
            tp += ctp; fp += cfp; fn += cfn
        }
        let n = Double(tiles)
        return [f1Sum / Double(classCount), 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0,
                Double(exact) / n, (fp + fn) / (n * Double(classCount))]
    }
}
