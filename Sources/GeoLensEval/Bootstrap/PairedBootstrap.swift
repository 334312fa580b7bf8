/// The comparison of two runs (A, then B) of different checkpoints on the same tiles.
public struct PairedComparison: Sendable, Equatable, Codable {
    public var metric: SummaryMetric
    /// The metric of run A and of run B on all tiles.
    public var a: Double?
    public var b: Double?
    /// B - A on all tiles; nil when either value is 0/0.
    public var delta: Double?
    /// Percentile interval of B - A over the paired resamples.
    public var interval: ConfidenceInterval?
    /// Two-sided p-value: 2 x the fraction of resamples whose delta does not share the observed
    /// delta's sign, capped at 1.
    public var pValue: Double?
    public var resamples: Int

    private enum CodingKeys: String, CodingKey {
        case metric, a, b, delta
        case interval = "ci95"
        case pValue = "p_value"
        case resamples
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metric, forKey: .metric)
        try c.encode(a, forKey: .a)
        try c.encode(b, forKey: .b)
        try c.encode(delta, forKey: .delta)
        try c.encode(interval, forKey: .interval)
        try c.encode(pValue, forKey: .pValue)
        try c.encode(resamples, forKey: .resamples)
    }
}

extension TileBootstrap {
    /// Paired bootstrap of run B against run A (METRICS.md): each resample draws one tile set and
    /// sums it in both runs, so tile difficulty cancels out of the delta.
    ///
    /// A resample "flips" when its delta is on the other side of zero from the observed delta,
    /// or zero: `delta_r <= 0` when the observed delta is positive, `delta_r >= 0` when it is
    /// negative, and every resample when it is exactly 0. Identical runs therefore get p = 1.
    ///
    /// - Parameters: `a`, `b`: tile matrices of the two runs in the same tile order.
    public static func paired(_ a: [ConfusionMatrix], _ b: [ConfusionMatrix], metric: SummaryMetric,
                              options: BootstrapOptions = BootstrapOptions()) -> PairedComparison {
        precondition(a.count == b.count, "TileBootstrap.paired: run A has \(a.count) tiles, run B has \(b.count)")
        let valueA = a.isEmpty ? nil : a.dropFirst().reduce(a[0], +).value(of: metric)
        let valueB = b.isEmpty ? nil : b.dropFirst().reduce(b[0], +).value(of: metric)
        var observed: Double?
        if let valueA, let valueB { observed = valueB - valueA }
        let deltas = resampledValues(b, paired: a, metrics: [metric], options: options).filter { !$0.isNaN }
        var pValue: Double?
        if let observed, !deltas.isEmpty {
            let flips = deltas.reduce(0) { count, d in
                let flipped = observed > 0 ? d <= 0 : (observed < 0 ? d >= 0 : true)
                return count + (flipped ? 1 : 0)
            }
            pValue = min(1, 2 * Double(flips) / Double(deltas.count))
        }
        return PairedComparison(metric: metric, a: valueA, b: valueB, delta: observed,
                                interval: percentileInterval(deltas, confidence: options.confidence),
                                pValue: pValue, resamples: options.resamples)
    }
}

extension EvaluationState {
    /// Percentile bootstrap intervals of summary metrics over this state's tiles.
    public func bootstrapIntervals(_ metrics: [SummaryMetric] = [.miou, .overallAccuracy],
                                   options: BootstrapOptions = BootstrapOptions()) -> [SummaryMetric: ConfidenceInterval?] {
        TileBootstrap.intervals(tileConfusionMatrices, metrics: metrics, options: options)
    }

    /// Paired bootstrap of `candidate` (B) against `baseline` (A) on the same tiles.
    ///
    /// - Throws: `EvaluationError.tileSetMismatch` naming a tile scored in one run only, or
    ///   `.configurationMismatch` when the class lists differ.
    public static func pairedComparison(baseline: EvaluationState, candidate: EvaluationState,
                                        metric: SummaryMetric = .miou,
                                        options: BootstrapOptions = BootstrapOptions()) throws -> PairedComparison {
        guard baseline.configuration.classes == candidate.configuration.classes else {
            throw EvaluationError(.configurationMismatch,
                "compare: runs have different classes \(baseline.configuration.classes) and \(candidate.configuration.classes); compare runs of the same task")
        }
        let ids = baseline.sortedTileIDs
        if let missing = ids.first(where: { candidate.tiles[$0] == nil }) ?? candidate.sortedTileIDs.first(where: { baseline.tiles[$0] == nil }) {
            throw EvaluationError(.tileSetMismatch,
                "compare: tile \"\(missing)\" was scored in one run only; compare runs evaluated on the same tiles")
        }
        return TileBootstrap.paired(ids.map { baseline.tiles[$0]!.confusion }, ids.map { candidate.tiles[$0]!.confusion },
                                    metric: metric, options: options)
    }
}
