public import GeoLensTensor
import Foundation

/// Binary cross-entropy on logits for multi-label tiles (`F.binary_cross_entropy_with_logits`,
/// mean over N x K): `labels` are N x K targets, 1 where the tile has the class and 0 where not.
public struct BinaryCrossEntropyLoss: SegmentationLoss {
    public init() {}

    public func callAsFunction(_ logits: Tensor, labels: [Int32]) -> Tensor {
        SigmoidLossKernel.mean(logits: logits, targets: labels, op: "binary_cross_entropy") { _, _ in (1, 0) }
    }
}

/// The sigmoid focal loss of `torchvision.ops.sigmoid_focal_loss` (Lin et al. 2017) for multi-label
/// tiles, mean over N x K: `alpha_t * BCE * (1 - p_t)^gamma` with `alpha_t = alpha_c` for a
/// positive and `1 - alpha_c` for a negative of label c.
///
/// With `dynamicAlpha` each batch sets alpha_c to the fraction of its tiles without label c: the
/// inverse frequency of positives, normalized against that of negatives, so a label rare in the
/// batch weighs its positives up. A label that the batch has on every tile or on none gets 0.5.
public struct SigmoidFocalLoss: SegmentationLoss {
    public var gamma: Float
    /// Per-label alpha (nil and not dynamic: no alpha weighting, torchvision's `alpha < 0`).
    public var alpha: [Float]?
    public var dynamicAlpha: Bool

    public init(gamma: Float = 2, alpha: [Float]? = nil, dynamicAlpha: Bool = false) {
        precondition(gamma >= 0, "SigmoidFocalLoss: gamma \(gamma) must be non-negative")
        self.gamma = gamma
        self.alpha = alpha
        self.dynamicAlpha = dynamicAlpha
    }

    /// The dynamic alpha of N x K `targets`.
    public static func batchAlpha(targets: [Int32], classes: Int) -> [Float] {
        let n = targets.count / Swift.max(classes, 1)
        return (0..<classes).map { c in
            var positives = 0
            for i in 0..<n where targets[i * classes + c] != 0 { positives += 1 }
            return positives > 0 && positives < n ? Float(n - positives) / Float(n) : 0.5
        }
    }

    public func callAsFunction(_ logits: Tensor, labels: [Int32]) -> Tensor {
        let classes = logits.shape[1]
        let alpha = dynamicAlpha ? Self.batchAlpha(targets: labels, classes: classes) : self.alpha
        if let alpha { precondition(alpha.count == classes, "SigmoidFocalLoss: \(alpha.count) alpha values for \(classes) labels") }
        let gamma = self.gamma
        return SigmoidLossKernel.mean(logits: logits, targets: labels, op: "sigmoid_focal_loss") { c, positive in
            // (weight of the BCE term, gamma)
            guard let alpha else { return (1, gamma) }
            return (positive ? alpha[c] : 1 - alpha[c], gamma)
        }
    }
}

/// One pass over `[N, K]` (or `[N, K, 1, 1]`) logits and N x K binary targets: a focal-modulated,
/// weighted BCE per element, averaged, with its gradient stored for the tape's pullback.
enum SigmoidLossKernel {
    static func mean(logits: Tensor, targets: [Int32], op: String,
                     weighting: (_ label: Int, _ positive: Bool) -> (weight: Float, gamma: Float)) -> Tensor {
        precondition(logits.rank == 2 || (logits.rank == 4 && logits.shape[2] * logits.shape[3] == 1),
                     "\(op): logits must be [N, K], got \(logits.shape)")
        let classes = logits.shape[1]
        precondition(targets.count == logits.count, "\(op): \(targets.count) targets for logits of shape \(logits.shape)")
        let count = logits.count
        let scale = 1 / Float(Swift.max(count, 1))
        var total = 0.0
        let gradient = Tensor(shape: logits.shape) { grad in
            logits.withUnsafeBufferPointer { z in
                for i in 0..<count {
                    let positive = targets[i] != 0
                    let t: Float = positive ? 1 : 0
                    let (weight, gamma) = weighting(i % classes, positive)
                    let x = z[i]
                    // log p = -softplus(-x), log(1 - p) = -softplus(x), computed stably.
                    let softplusPos = Swift.max(x, 0) + log1p(exp(-abs(x)))
                    let softplusNeg = softplusPos - x
                    let p = 1 / (1 + exp(-x))
                    let ce = t * softplusNeg + (1 - t) * softplusPos
                    let pt = p * t + (1 - p) * (1 - t)
                    let rest = Swift.max(1 - pt, 0)
                    let modulation: Float = gamma == 0 ? 1 : pow(rest, gamma)
                    var d = (p - t) * modulation
                    if gamma != 0 && rest > 0 {
                        d += ce * gamma * pow(rest, gamma - 1) * -((2 * t - 1) * p * (1 - p))
                    }
                    total += Double(weight * ce * modulation)
                    grad[i] = weight * d * scale
                }
            }
        }
        let value = Tensor(Float(total) * scale)
        let stored = gradient
        return Tape.record(value, op: op, logits) { g in
            let factor = g.scalar
            return Tensor(shape: stored.shape) { out in
                stored.withUnsafeBufferPointer { src in
                    for i in 0..<src.count { out[i] = src[i] * factor }
                }
            }
        }
    }
}
