public import GeoLensTensor

/// Softmax cross-entropy over classes with PyTorch's `F.cross_entropy` semantics:
/// optional class weights, an ignored label value, and label smoothing. Logits are `[N, C, H, W]`
/// with a label per pixel, or a tile classifier's `[N, C]` with a label per tile.
///
/// With weights w and smoothing e over C classes, a pixel labelled y contributes
/// `(1 - e) * w[y] * -log p[y] + (e / C) * sum_c w[c] * -log p[c]`, and the mean divides by the
/// sum of w[y] over labelled pixels (the count when unweighted), exactly as PyTorch does.
public struct CrossEntropyLoss: SegmentationLoss {
    public var classWeights: [Float]?
    public var ignoreIndex: Int?
    public var labelSmoothing: Float

    public init(classWeights: [Float]? = nil, ignoreIndex: Int? = nil, labelSmoothing: Float = 0) {
        precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "CrossEntropyLoss: label smoothing \(labelSmoothing) is outside [0, 1]")
        self.classWeights = classWeights
        self.ignoreIndex = ignoreIndex
        self.labelSmoothing = labelSmoothing
    }

    public func callAsFunction(_ logits: Tensor, labels: [Int32]) -> Tensor {
        let logits = logits.rank == 2 ? logits.reshaped([logits.shape[0], logits.shape[1], 1, 1]) : logits
        if let classWeights {
            precondition(classWeights.count == logits.shape[1],
                         "CrossEntropyLoss: \(classWeights.count) class weights for logits of shape \(logits.shape)")
        }
        let pixel = Pixel(weights: classWeights ?? [Float](repeating: 1, count: logits.shape[1]), smoothing: labelSmoothing)
        return PixelLossKernel.mean(pixel, logits: logits, labels: labels, ignoreIndex: ignoreIndex, op: "cross_entropy")
    }

    /// The per-pixel term and its gradient `(1-e) w_y (p_c - [c=y]) + (e/C) (W p_c - w_c)`.
    struct Pixel: PixelLoss {
        let weights: [Float]
        let smoothing: Float

        func evaluate(logProbabilities logP: UnsafeBufferPointer<Float>, probabilities p: UnsafeBufferPointer<Float>,
                      label: Int, gradient: UnsafeMutableBufferPointer<Float>) -> (loss: Float, weight: Float) {
            let classes = logP.count
            let wy = weights[label]
            var loss = (1 - smoothing) * wy * -logP[label]
            if smoothing > 0 {
                var smooth: Float = 0
                var totalWeight: Float = 0
                for c in 0..<classes {
                    smooth -= weights[c] * logP[c]
                    totalWeight += weights[c]
                }
                loss += smoothing / Float(classes) * smooth
                for c in 0..<classes {
                    gradient[c] = (1 - smoothing) * wy * (p[c] - (c == label ? 1 : 0))
                        + smoothing / Float(classes) * (totalWeight * p[c] - weights[c])
                }
            } else {
                for c in 0..<classes { gradient[c] = wy * (p[c] - (c == label ? 1 : 0)) }
            }
            return (loss, wy)
        }
    }
}
