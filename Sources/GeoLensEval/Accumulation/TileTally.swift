/// Everything one tile contributes to an evaluation, in fixed-size state: its confusion
/// matrix, ignored-pixel count, entropy sum, calibration bins and MC-dropout sums.
///
/// Dataset totals are sums of tile tallies taken in sorted tile order, which is what makes a
/// merged shard state bit-identical to an unsharded run: integer counts are exact, and each
/// floating-point sum is built from the same per-tile values added in the same order.
public struct TileTally: Sendable, Equatable, Codable {
    /// Scored pixels of the tile (rows = reference, columns = predicted).
    public var confusion: ConfusionMatrix
    /// Pixels excluded: ignore_index, labels outside 0..<C, nodata, non-finite model output.
    public var ignoredPixels: Int64
    /// Sum over scored pixels of the softmax entropy -sum_c p_c ln p_c (natural log).
    public var entropySum: Double
    /// Top-label confidence bins of the scored pixels.
    public var calibration: CalibrationBins
    /// Sum over pixels of the MC-dropout mutual information (0 without MC dropout).
    public var mutualInformationSum: Double
    /// Pixels that contributed to `mutualInformationSum`.
    public var mutualInformationPixels: Int64

    /// An empty tally.
    public init(classCount: Int, calibrationBins: Int) {
        confusion = ConfusionMatrix(classCount: classCount)
        ignoredPixels = 0
        entropySum = 0
        calibration = CalibrationBins(binCount: calibrationBins)
        mutualInformationSum = 0
        mutualInformationPixels = 0
    }

    /// Scored pixels N of the tile.
    public var pixels: Int64 { confusion.total }

    /// Mean softmax entropy over the scored pixels; nil when none was scored.
    public var meanEntropy: Double? { pixels > 0 ? entropySum / Double(pixels) : nil }

    /// Adds `other` into this tally (floating sums in the order of the calls).
    public mutating func merge(_ other: TileTally) {
        confusion.merge(other.confusion)
        ignoredPixels += other.ignoredPixels
        entropySum += other.entropySum
        calibration.merge(other.calibration)
        mutualInformationSum += other.mutualInformationSum
        mutualInformationPixels += other.mutualInformationPixels
    }

    private enum CodingKeys: String, CodingKey {
        case confusion
        case ignoredPixels = "ignored_pixels"
        case entropySum = "entropy_sum"
        case calibration
        case mutualInformationSum = "mutual_information_sum"
        case mutualInformationPixels = "mutual_information_pixels"
    }
}

/// Which pixels of a batch are usable, seen through a raw buffer so the pixel loop does no
/// reference counting.
enum ValidityView {
    case all
    case flags(UnsafeBufferPointer<Bool>)
    case bits(UnsafeBufferPointer<UInt8>)

    @inline(__always)
    func isValid(_ index: Int) -> Bool {
        switch self {
        case .all: return true
        case .flags(let flags): return flags[index]
        case .bits(let bytes): return bytes[index >> 3] & (1 << UInt8(truncatingIfNeeded: index & 7)) != 0
        }
    }
}

extension PixelValidity {
    /// Runs `body` with a raw view of the mask.
    func withView<R>(_ body: (ValidityView) -> R) -> R {
        switch self {
        case .all: return body(.all)
        case .flags(let flags): return flags.withUnsafeBufferPointer { body(.flags($0)) }
        case .bitmask(let bytes): return bytes.withUnsafeBufferPointer { body(.bits($0)) }
        }
    }
}
