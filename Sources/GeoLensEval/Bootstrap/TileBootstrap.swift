import GeoLensTensor

/// Settings of the percentile bootstrap over tiles (METRICS.md `ci95`).
public struct BootstrapOptions: Sendable, Equatable {
    /// Number of resamples (1000 in reports).
    public var resamples: Int
    /// Seed of the `SeededGenerator`; resample r draws from stream r, so results do not depend
    /// on the thread count.
    public var seed: UInt64
    /// Coverage of the interval (0.95 for `ci95`).
    public var confidence: Double

    public init(resamples: Int = 1000, seed: UInt64 = 0, confidence: Double = 0.95) {
        precondition(resamples >= 1, "BootstrapOptions: resamples must be at least 1, got \(resamples)")
        precondition(confidence > 0 && confidence < 1, "BootstrapOptions: confidence must be in (0, 1), got \(confidence)")
        self.resamples = resamples
        self.seed = seed
        self.confidence = confidence
    }
}

/// A two-sided interval [lower, upper].
public struct ConfidenceInterval: Sendable, Equatable, Codable {
    public var lower: Double
    public var upper: Double

    public init(lower: Double, upper: Double) {
        self.lower = lower
        self.upper = upper
    }

    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }

    /// Encoded as `[lower, upper]`, the metrics.json form.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(lower)
        try c.encode(upper)
    }

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        lower = try c.decode(Double.self)
        upper = try c.decode(Double.self)
    }
}

/// Percentile bootstrap over tiles: resample the tiles with replacement, sum their confusion
/// matrices, recompute the metric. The tile matrices are packed into one contiguous buffer and
/// each worker reuses one C x C scratch matrix, so the resample loop allocates nothing.
public enum TileBootstrap {
    /// Metric values of every resample: `values[r * metrics.count + k]`, NaN where the metric is 0/0.
    /// With `paired`, the same resampled tile set is summed for both runs and the function
    /// returns B's values minus A's.
    static func resampledValues(_ tiles: [ConfusionMatrix], paired baseline: [ConfusionMatrix]? = nil,
                                metrics: [SummaryMetric], options: BootstrapOptions) -> [Double] {
        let tileCount = tiles.count
        guard tileCount > 0, let classCount = tiles.first?.classCount else {
            return [Double](repeating: .nan, count: options.resamples * metrics.count)
        }
        let cells = classCount * classCount
        let packed = tiles.flatMap(\.counts)
        let packedBaseline = baseline?.flatMap(\.counts) ?? []
        precondition(packed.count == tileCount * cells && (baseline == nil || packedBaseline.count == packed.count),
                     "TileBootstrap: tile matrices must all be \(classCount) x \(classCount) and runs must have the same tiles")
        var values = [Double](repeating: .nan, count: options.resamples * metrics.count)
        let root = SeededGenerator(seed: options.seed)
        let workers = max(1, min(Parallel.threadCount, options.resamples))
        packed.withUnsafeBufferPointer { packed in
            packedBaseline.withUnsafeBufferPointer { packedBaseline in
                values.withUnsafeMutableBufferPointer { values in
                    Parallel.forEach(workers) { worker in
                        var sum = [Int64](repeating: 0, count: cells)
                        var sumBaseline = [Int64](repeating: 0, count: cells)
                        var draws = [Int](repeating: 0, count: tileCount)
                        sum.withUnsafeMutableBufferPointer { sum in
                            sumBaseline.withUnsafeMutableBufferPointer { sumBaseline in
                                draws.withUnsafeMutableBufferPointer { draws in
                                    let first = options.resamples * worker / workers
                                    let last = options.resamples * (worker + 1) / workers
                                    for r in first..<last {
                                        var rng = root.split(stream: UInt64(r))
                                        for t in 0..<tileCount { draws[t] = uniformIndex(below: tileCount, using: &rng) }
                                        sumTiles(packed, draws: draws, cells: cells, into: sum)
                                        let run = ConfusionCounts(UnsafeBufferPointer(sum), classCount: classCount)
                                        if packedBaseline.isEmpty {
                                            for (k, metric) in metrics.enumerated() {
                                                values[r * metrics.count + k] = run.value(of: metric) ?? .nan
                                            }
                                        } else {
                                            sumTiles(packedBaseline, draws: draws, cells: cells, into: sumBaseline)
                                            let base = ConfusionCounts(UnsafeBufferPointer(sumBaseline), classCount: classCount)
                                            for (k, metric) in metrics.enumerated() {
                                                if let b = run.value(of: metric), let a = base.value(of: metric) {
                                                    values[r * metrics.count + k] = b - a
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return values
    }

    /// Percentile intervals of each metric (nil when every resample was 0/0).
    public static func intervals(_ tiles: [ConfusionMatrix], metrics: [SummaryMetric],
                                 options: BootstrapOptions = BootstrapOptions()) -> [SummaryMetric: ConfidenceInterval?] {
        let values = resampledValues(tiles, metrics: metrics, options: options)
        var result: [SummaryMetric: ConfidenceInterval?] = [:]
        for (k, metric) in metrics.enumerated() {
            let column = stride(from: k, to: values.count, by: metrics.count).map { values[$0] }
            result[metric] = percentileInterval(column, confidence: options.confidence)
        }
        return result
    }

    /// A uniform integer in 0..<bound from the top bits of a 64-bit draw (multiply-high;
    /// bias below 2^-40 for any tile count, and stable across Swift versions).
    @inline(__always)
    static func uniformIndex(below bound: Int, using rng: inout SeededGenerator) -> Int {
        Int(rng.next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Sums the drawn tiles' matrices into `sum`.
    @inline(__always)
    static func sumTiles(_ packed: UnsafeBufferPointer<Int64>, draws: UnsafeMutableBufferPointer<Int>, cells: Int,
                         into sum: UnsafeMutableBufferPointer<Int64>) {
        for i in 0..<cells { sum[i] = 0 }
        for tile in draws {
            let base = tile * cells
            for i in 0..<cells { sum[i] += packed[base + i] }
        }
    }

    /// The [(1 - confidence)/2, (1 + confidence)/2] percentiles of the finite values, with linear
    /// interpolation between order statistics (NumPy's default); nil when no value is finite.
    static func percentileInterval(_ values: [Double], confidence: Double) -> ConfidenceInterval? {
        let sorted = values.filter { !$0.isNaN }.sorted()
        guard !sorted.isEmpty else { return nil }
        return ConfidenceInterval(lower: percentile(sorted, (1 - confidence) / 2),
                                  upper: percentile(sorted, (1 + confidence) / 2))
    }

    /// Linear-interpolated quantile `q` of sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }
}
