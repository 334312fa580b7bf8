/// Top-label calibration in fixed-size state: per confidence bin, the pixel count, the sum of
/// confidences and the number of correct predictions (METRICS.md `ece`; no pixel is kept).
///
/// A confidence goes to bin `bucketize(conf, linspace(0, 1, B + 1), right: true) - 1`, which
/// is torchmetrics' `MulticlassCalibrationError` binning. That formula sends a confidence of
/// exactly 1.0 to index B, one past the last equal-width bin; torchmetrics keeps that slot
/// (its bin tensors have B + 1 entries) and so does this type, so the ECE matches it exactly.
/// The slot only fills when a softmax saturates to 1.0 in Double.
public struct CalibrationBins: Sendable, Equatable, Codable {
    /// Number of equal-width bins B (15 in reports).
    public let binCount: Int
    /// Pixels per slot (B bins + the confidence-exactly-1 slot).
    public private(set) var counts: [Int64]
    /// Sum of top-label confidences per slot.
    public private(set) var confidenceSums: [Double]
    /// Pixels whose top-label prediction was right, per slot.
    public private(set) var correct: [Int64]

    /// Empty bins; `binCount` equal-width bins over [0, 1].
    public init(binCount: Int = 15) {
        precondition(binCount >= 1, "CalibrationBins: need at least one bin, got \(binCount)")
        self.binCount = binCount
        counts = [Int64](repeating: 0, count: binCount + 1)
        confidenceSums = [Double](repeating: 0, count: binCount + 1)
        correct = [Int64](repeating: 0, count: binCount + 1)
    }

    /// The bin edges `linspace(0, 1, B + 1)` computed with PyTorch's formula (first half i * step
    /// from 0, second half 1 - (B - i) * step). PyTorch's vectorized kernel can round one edge
    /// differently in the last bit (for B = 15 with 2-wide vectors, edge 10); only a confidence
    /// exactly on that edge could land in a different bin.
    public static func edges(binCount: Int) -> [Double] {
        let steps = binCount + 1
        let step = 1.0 / Double(binCount)
        let half = steps / 2
        var edges = [Double](repeating: 0, count: steps)
        for i in 0..<steps {
            if i < half {
                edges[i] = Double(i) * step
            } else {
                edges[i] = 1.0 - Double(steps - 1 - i) * step
            }
        }
        return edges
    }

    /// `bucketize(confidence, edges, right: true) - 1`, clamped to the slots (a confidence below 0
    /// cannot come from a softmax; NaN never reaches here because non-finite pixels are ignored).
    static func slot(of confidence: Double, edges: UnsafeBufferPointer<Double>) -> Int {
        let bins = edges.count - 1
        var index = Swift.min(Swift.max(Int(confidence * Double(bins)), 0), bins)
        while index < bins && edges[index + 1] <= confidence { index += 1 }
        while index > 0 && edges[index] > confidence { index -= 1 }
        return index
    }

    /// Counts one pixel.
    public mutating func add(confidence: Double, correct isCorrect: Bool) {
        let slot = Self.edges(binCount: binCount).withUnsafeBufferPointer { Self.slot(of: confidence, edges: $0) }
        counts[slot] += 1
        confidenceSums[slot] += confidence
        if isCorrect { correct[slot] += 1 }
    }

    /// Adds raw slot tallies (used by the pixel kernels, which bin into local buffers).
    mutating func add(counts addedCounts: UnsafeBufferPointer<Int64>, confidenceSums addedSums: UnsafeBufferPointer<Double>,
                      correct addedCorrect: UnsafeBufferPointer<Int64>) {
        for i in 0...binCount {
            counts[i] += addedCounts[i]
            confidenceSums[i] += addedSums[i]
            correct[i] += addedCorrect[i]
        }
    }

    /// Adds `other` (same bin count) into these bins. Confidence sums are floating point, so
    /// callers merge in a fixed order to get bit-identical results.
    public mutating func merge(_ other: CalibrationBins) {
        precondition(other.binCount == binCount,
                     "CalibrationBins.merge: \(other.binCount) bins cannot merge into \(binCount)")
        for i in 0...binCount {
            counts[i] += other.counts[i]
            confidenceSums[i] += other.confidenceSums[i]
            correct[i] += other.correct[i]
        }
    }

    /// Total pixels binned.
    public var total: Int64 { counts.reduce(0, +) }

    /// Expected calibration error sum_b (n_b / N) |acc_b - conf_b| (L1); nil when no pixel was binned.
    public var expectedCalibrationError: Double? {
        let n = Double(total)
        guard n > 0 else { return nil }
        var ece = 0.0
        for i in 0...binCount where counts[i] > 0 {
            let count = Double(counts[i])
            ece += abs(Double(correct[i]) / count - confidenceSums[i] / count) * (count / n)
        }
        return ece
    }

    /// One row of a reliability diagram per equal-width bin, plus a final `[1, 1]` row when
    /// some confidences were exactly 1.
    public var reliability: [ReliabilityBin] {
        let edges = Self.edges(binCount: binCount)
        var rows = (0..<binCount).map { i in
            ReliabilityBin(lower: edges[i], upper: edges[i + 1], count: counts[i],
                           meanConfidence: counts[i] > 0 ? confidenceSums[i] / Double(counts[i]) : nil,
                           accuracy: counts[i] > 0 ? Double(correct[i]) / Double(counts[i]) : nil)
        }
        if counts[binCount] > 0 {
            rows.append(ReliabilityBin(lower: 1, upper: 1, count: counts[binCount],
                                       meanConfidence: confidenceSums[binCount] / Double(counts[binCount]),
                                       accuracy: Double(correct[binCount]) / Double(counts[binCount])))
        }
        return rows
    }
}

/// One bar of a reliability diagram: the confidence range, how many pixels fell in it, their
/// mean confidence and their accuracy (nil for an empty bin).
public struct ReliabilityBin: Sendable, Equatable, Codable {
    public var lower: Double
    public var upper: Double
    public var count: Int64
    public var meanConfidence: Double?
    public var accuracy: Double?

    private enum CodingKeys: String, CodingKey {
        case lower, upper, count
        case meanConfidence = "mean_confidence"
        case accuracy
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lower, forKey: .lower)
        try c.encode(upper, forKey: .upper)
        try c.encode(count, forKey: .count)
        try c.encode(meanConfidence, forKey: .meanConfidence)
        try c.encode(accuracy, forKey: .accuracy)
    }
}
