import GeoLensEval
import GeoLensTensor
import Testing

/// Percentile bootstrap over tiles and the paired comparison of two runs.
@Suite("Bootstrap over tiles")
struct BootstrapTests {
    static let configuration = EvaluationConfiguration(classes: ["a", "b", "c"], ignoreIndex: 255)

    static func state(skill: Float, seed: UInt64, count: Int = 40) -> EvaluationState {
        var accumulator = EvaluationAccumulator(configuration: configuration)
        accumulator.add(SyntheticTile.make(count: count, classes: 3, side: 8, skill: skill, seed: seed), batch: 8)
        return accumulator.state
    }

    @Test("The same seed gives the same intervals; another seed gives other intervals")
    func deterministic() {
        let s = Self.state(skill: 0.7, seed: 1)
        let metrics: [SummaryMetric] = [.miou, .overallAccuracy, .kappa]
        let first = s.bootstrapIntervals(metrics, options: BootstrapOptions(resamples: 300, seed: 11))
        let again = s.bootstrapIntervals(metrics, options: BootstrapOptions(resamples: 300, seed: 11))
        let other = s.bootstrapIntervals(metrics, options: BootstrapOptions(resamples: 300, seed: 12))
        #expect(first == again)
        #expect(first != other)
    }

    @Test("Intervals of a well-behaved run contain the point estimates and have width")
    func containsPointEstimate() throws {
        let s = Self.state(skill: 0.7, seed: 2)
        let metrics = s.metrics
        let intervals = s.bootstrapIntervals(SummaryMetric.allCases, options: BootstrapOptions(resamples: 1000, seed: 3))
        for metric in SummaryMetric.allCases {
            let interval = try #require(intervals[metric] ?? nil, "interval of \(metric.rawValue)")
            let point = try #require(metrics.value(of: metric))
            #expect(interval.contains(point), "\(metric.rawValue): \(point) outside [\(interval.lower), \(interval.upper)]")
            #expect(interval.upper - interval.lower > 1e-4, "\(metric.rawValue): degenerate interval")
            #expect(interval.upper - interval.lower < 0.2, "\(metric.rawValue): implausibly wide interval")
        }
    }

    @Test("One tile: every resample is that tile, so the interval is the point")
    func singleTile() throws {
        let s = Self.state(skill: 0.6, seed: 4, count: 1)
        let interval = try #require(s.bootstrapIntervals([.miou]).values.first ?? nil)
        let miou = try #require(s.metrics.miou)
        #expect(interval == ConfidenceInterval(lower: miou, upper: miou))
    }

    @Test("Confusion-matrix shortcut used per resample equals the full metric computation")
    func resampleFormulasMatchMetrics() {
        var rng = SeededGenerator(seed: 9)
        for classes in [1, 2, 5] {
            let counts = (0..<(classes * classes)).map { _ in Int64(rng.next() % 4) * Int64(rng.next() % 50) }
            let matrix = ConfusionMatrix(classCount: classes, counts: counts)
            let metrics = SegmentationMetrics(matrix)
            for metric in SummaryMetric.allCases {
                #expect(matrix.value(of: metric) == metrics.value(of: metric), "\(metric.rawValue), C = \(classes)")
            }
        }
    }

    @Test("Paired bootstrap of identical runs: delta 0 and p = 1")
    func identicalRuns() throws {
        let s = Self.state(skill: 0.7, seed: 5)
        let comparison = try EvaluationState.pairedComparison(baseline: s, candidate: s, metric: .miou,
                                                              options: BootstrapOptions(resamples: 500, seed: 1))
        #expect(comparison.delta == 0)
        #expect(comparison.pValue == 1)
        #expect(comparison.interval == ConfidenceInterval(lower: 0, upper: 0))
    }

    @Test("Paired bootstrap of clearly different runs: positive delta, interval above 0, small p")
    func differentRuns() throws {
        let weak = Self.state(skill: 0.45, seed: 6)
        let strong = Self.state(skill: 0.8, seed: 6)
        let options = BootstrapOptions(resamples: 1000, seed: 2)
        let comparison = try EvaluationState.pairedComparison(baseline: weak, candidate: strong, metric: .miou, options: options)
        let delta = try #require(comparison.delta)
        #expect(delta > 0.1)
        #expect(try #require(comparison.interval).lower > 0)
        #expect(try #require(comparison.pValue) < 0.01)
        // Swapping the runs flips the delta and keeps the p-value.
        let reversed = try EvaluationState.pairedComparison(baseline: strong, candidate: weak, metric: .miou, options: options)
        #expect(reversed.delta == -delta)
        #expect(reversed.pValue == comparison.pValue)
    }

    @Test("Paired bootstrap of close runs gives a large p-value")
    func closeRuns() throws {
        let a = Self.state(skill: 0.7, seed: 7)
        let b = Self.state(skill: 0.7, seed: 8)
        // Same tiles (ids), different noise: no real difference.
        let comparison = try EvaluationState.pairedComparison(baseline: a, candidate: b, metric: .overallAccuracy,
                                                              options: BootstrapOptions(resamples: 1000, seed: 3))
        #expect(try #require(comparison.pValue) > 0.05)
        #expect(try #require(comparison.interval).contains(0))
    }

    @Test("Runs on different tiles cannot be compared")
    func tileSetMismatch() throws {
        let a = Self.state(skill: 0.7, seed: 9, count: 5)
        let b = Self.state(skill: 0.7, seed: 9, count: 4)
        let error = try #require(throws: EvaluationError.self) {
            try EvaluationState.pairedComparison(baseline: a, candidate: b)
        }
        #expect(error.code == .tileSetMismatch)
        #expect(error.message.contains("tile_004"))
    }
}
