import GeoLensTensor

/// Percentile bootstrap over tiles for tile tasks (the `ci95` of a classification or multi-label
/// `metrics.json`): resample the labelled tiles with replacement, recount, recompute.
///
/// Only the counting metrics are bootstrapped: classification `overall_accuracy`,
/// `accuracy_macro`, `f1_macro` and `kappa` (from a K x K matrix of the drawn tiles' label and
/// top-1 class), multi-label `f1_macro`, `f1_micro`, `exact_match` and `hamming_distance` (from
/// the drawn tiles' per-label outcomes). AUROC and average precision would re-rank every
/// resample and are not. Each tile is stored as two integers (or K outcome codes), and resample r
/// draws from stream r of the seed, as `TileBootstrap`, so intervals do not depend on the
/// thread count.
public enum ClassificationBootstrap {
    /// The metrics.json keys bootstrapped for `task`, in order.
    public static func metricKeys(_ task: TileTask) -> [String] {
        task == .classification ? ["overall_accuracy", "accuracy_macro", "f1_macro", "kappa"]
            : ["f1_macro", "f1_micro", "exact_match", "hamming_distance"]
    }

    /// Percentile intervals by metric key (nil where every resample was 0/0).
    public static func intervals(_ state: ClassificationState,
                                 options: BootstrapOptions = BootstrapOptions()) -> [String: ConfidenceInterval?] {
        let tiles = state.labelledTiles
        let configuration = state.configuration
        let keys = metricKeys(configuration.task)
        let classCount = configuration.classCount
        // Per tile: label and top-1 class, or one outcome code per label (0 tn, 1 fp, 2 fn, 3 tp).
        let codes: [Int] = switch configuration.task {
        case .classification:
            tiles.flatMap { [$0.target!.indices[0], $0.predictedClass] }
        case .multilabel:
            tiles.flatMap { tile -> [Int] in
                let reference = Set(tile.target!.indices), predicted = tile.predictedClasses(thresholds: configuration.thresholds)
                return (0..<classCount).map { (reference.contains($0) ? 2 : 0) + (predicted.contains($0) ? 1 : 0) }
            }
        }
        let stride = configuration.task == .classification ? 2 : classCount
        var values = [Double](repeating: .nan, count: options.resamples * keys.count)
        if !tiles.isEmpty {
            let root = SeededGenerator(seed: options.seed)
            let workers = max(1, min(Parallel.threadCount, options.resamples))
            let tileCount = tiles.count
            codes.withUnsafeBufferPointer { codes in
                values.withUnsafeMutableBufferPointer { values in
                    Parallel.forEach(workers) { worker in
                        var counts = [Int64](repeating: 0, count: configuration.task == .classification ? classCount * classCount : classCount * 4)
                        for r in (options.resamples * worker / workers)..<(options.resamples * (worker + 1) / workers) {
                            var rng = root.split(stream: UInt64(r))
                            for i in counts.indices { counts[i] = 0 }
                            var exact = 0
                            for _ in 0..<tileCount {
                                let base = TileBootstrap.uniformIndex(below: tileCount, using: &rng) * stride
                                if configuration.task == .classification {
                                    counts[codes[base] * classCount + codes[base + 1]] += 1
                                } else {
                                    var right = true
                                    for c in 0..<classCount {
                                        let code = codes[base + c]
                                        counts[c * 4 + code] += 1
                                        if code == 1 || code == 2 { right = false }
                                    }
                                    if right { exact += 1 }
                                }
                            }
                            let metrics = configuration.task == .classification
                                ? classificationValues(counts, classCount: classCount)
                                : multilabelValues(counts, classCount: classCount, exact: exact, tiles: tileCount)
                            for k in 0..<keys.count { values[r * keys.count + k] = metrics[k] ?? .nan }
                        }
                    }
                }
            }
        }
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
