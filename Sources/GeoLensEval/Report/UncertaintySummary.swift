import Foundation

/// The `uncertainty` block of metrics.json: entropy, calibration and MC-dropout mutual information.
public struct UncertaintySummary: Sendable, Equatable, Encodable {
    /// (1/N) sum over scored pixels of the softmax entropy (natural log); nil when N = 0.
    public var meanEntropy: Double?
    /// `meanEntropy / ln C`; nil when N = 0 or C = 1.
    public var meanEntropyNormalized: Double?
    /// Expected calibration error (L1) over `eceBins` equal bins; nil when N = 0.
    public var ece: Double?
    public var eceBins: Int
    /// Mean MC-dropout mutual information; nil when no MC-dropout passes were added.
    public var mutualInformation: Double?
    /// Reliability-diagram rows (an extension of the contract's block, for reports).
    public var reliability: [ReliabilityBin]

    /// The summary of a run's totals.
    public init(totals: TileTally, classCount: Int) {
        let n = totals.pixels
        meanEntropy = n > 0 ? totals.entropySum / Double(n) : nil
        meanEntropyNormalized = classCount > 1 ? meanEntropy.map { $0 / log(Double(classCount)) } : nil
        ece = totals.calibration.expectedCalibrationError
        eceBins = totals.calibration.binCount
        mutualInformation = totals.mutualInformationPixels > 0
            ? totals.mutualInformationSum / Double(totals.mutualInformationPixels) : nil
        reliability = totals.calibration.reliability
    }

    private enum CodingKeys: String, CodingKey {
        case meanEntropy = "mean_entropy"
        case meanEntropyNormalized = "mean_entropy_normalized"
        case ece
        case eceBins = "ece_bins"
        case mutualInformation = "mutual_information"
        case reliability
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(meanEntropy, forKey: .meanEntropy)
        try c.encode(meanEntropyNormalized, forKey: .meanEntropyNormalized)
        try c.encode(ece, forKey: .ece)
        try c.encode(eceBins, forKey: .eceBins)
        try c.encode(mutualInformation, forKey: .mutualInformation)
        try c.encode(reliability, forKey: .reliability)
    }
}
