public import GeoLensTensor
import Foundation

/// Multi-class focal loss (Lin et al. 2017): `-alpha[y] * (1 - p_y)^gamma * log p_y`, averaged
/// over labelled pixels (or tiles: `[N, K]` logits with one label per tile). `gamma = 0` with
/// unit alpha is plain cross-entropy.
public struct FocalLoss: SegmentationLoss {
    public var gamma: Float
    /// Per-class alpha (nil: 1 for every class). `LossRegistry` can compute it from class frequencies.
    public var alpha: [Float]?
    public var ignoreIndex: Int?
    /// Alpha recomputed for every batch as the inverse frequency of each class among the batch's
    /// labels, normalized to mean 1 over the classes present (`LossContext.inverseFrequencyWeights`).
    public var dynamicAlpha: Bool

    public init(gamma: Float = 2, alpha: [Float]? = nil, ignoreIndex: Int? = nil, dynamicAlpha: Bool = false) {
        precondition(gamma >= 0, "FocalLoss: gamma \(gamma) must be non-negative")
        self.gamma = gamma
        self.alpha = alpha
        self.ignoreIndex = ignoreIndex
        self.dynamicAlpha = dynamicAlpha
    }

    /// The dynamic alpha of a batch's labels (ignored labels left out).
    public static func batchAlpha(labels: [Int32], classes: Int, ignoreIndex: Int?) -> [Float] {
        var counts = [Int](repeating: 0, count: classes)
        for l in labels where Int(l) != ignoreIndex && l >= 0 && Int(l) < classes { counts[Int(l)] += 1 }
        return LossContext(classCount: classes, ignoreIndex: ignoreIndex, classPixelCounts: counts).inverseFrequencyWeights
    }

    public func callAsFunction(_ logits: Tensor, labels: [Int32]) -> Tensor {
        let logits = logits.rank == 2 ? logits.reshaped([logits.shape[0], logits.shape[1], 1, 1]) : logits
        let alpha = dynamicAlpha ? Self.batchAlpha(labels: labels, classes: logits.shape[1], ignoreIndex: ignoreIndex) : self.alpha
        if let alpha {
            precondition(alpha.count == logits.shape[1], "FocalLoss: \(alpha.count) alpha values for logits of shape \(logits.shape)")
        }
        let pixel = Pixel(alpha: alpha ?? [Float](repeating: 1, count: logits.shape[1]), gamma: gamma)
        return PixelLossKernel.mean(pixel, logits: logits, labels: labels, ignoreIndex: ignoreIndex, op: "focal_loss")
    }

    /// d/dz_c = -alpha (delta_cy - p_c) [(1-p_y)^gamma - gamma (1-p_y)^(gamma-1) p_y log p_y].
    struct Pixel: PixelLoss {
        let alpha: [Float]
        let gamma: Float

        func evaluate(logProbabilities logP: UnsafeBufferPointer<Float>, probabilities p: UnsafeBufferPointer<Float>,
                      label: Int, gradient: UnsafeMutableBufferPointer<Float>) -> (loss: Float, weight: Float) {
            let a = alpha[label]
            let pt = p[label], logPt = logP[label]
            let rest = Swift.max(1 - pt, 0)
            let modulation = gamma == 0 ? 1 : pow(rest, gamma)
            let slope: Float = (gamma == 0 || rest == 0) ? 0 : gamma * pow(rest, gamma - 1) * pt * logPt
            let factor = -a * (modulation - slope)
            for c in 0..<logP.count { gradient[c] = factor * ((c == label ? 1 : 0) - p[c]) }
            return (-a * modulation * logPt, 1)
        }
    }
}
