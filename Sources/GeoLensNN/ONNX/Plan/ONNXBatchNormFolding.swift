public import GeoLensTensor

/// Folds a BatchNormalization's statistics into the convolution before it:
/// with `s = gamma / sqrt(var + eps)` per output channel,
/// `w' = w * s` and `b' = (b - mean) * s + beta`, so `BN(conv(x, w, b)) == conv(x, w', b')`.
public enum ONNXBatchNormFolding {
    /// The folded weight (same shape as `weight`, output channels first, as Conv stores them)
    /// and bias (one value per output channel). `bias` nil means the convolution had none.
    public static func fold(weight: Tensor, bias: Tensor?, scale gamma: Tensor, offset beta: Tensor,
                            mean: Tensor, variance: Tensor, epsilon: Float) -> (weight: Tensor, bias: Tensor) {
        let channels = weight.shape.first ?? 0
        for (name, t) in [("scale", gamma), ("offset", beta), ("mean", mean), ("variance", variance)] + (bias.map { [("bias", $0)] } ?? []) {
            precondition(t.count == channels,
                         "ONNXBatchNormFolding: \(name) of shape \(t.shape) does not have one value per output channel of weight \(weight.shape)")
        }
        let g = gamma.scalars, be = beta.scalars, m = mean.scalars, v = variance.scalars
        let b = bias?.scalars ?? [Float](repeating: 0, count: channels)
        let factors = (0 ..< channels).map { g[$0] / (v[$0] + epsilon).squareRoot() }
        let perChannel = channels == 0 ? 0 : weight.count / channels
        let foldedWeight = Tensor(shape: weight.shape) { out in
            weight.withUnsafeBufferPointer { w in
                for c in 0 ..< channels {
                    let f = factors[c]
                    for i in (c * perChannel) ..< ((c + 1) * perChannel) { out[i] = w[i] * f }
                }
            }
        }
        let foldedBias = Tensor(shape: [channels], scalars: (0 ..< channels).map { (b[$0] - m[$0]) * factors[$0] + be[$0] })
        return (foldedWeight, foldedBias)
    }

    /// Folds the BatchNormalization of a `.batchNormalization` fusion using the plan's constants.
    /// Returns nil when a parameter is not a constant float tensor (then the pair runs unfused).
    public static func fold(_ fusion: ONNXFusion, in plan: ONNXExecutionPlan) -> (weight: Tensor, bias: Tensor)? {
        guard fusion.kind == .batchNormalization,
              let conv = plan.steps.first(where: { $0.name == fusion.convolution }),
              let bn = plan.steps.first(where: { $0.name == fusion.follower }),
              conv.opType == "Conv", conv.inputs.count >= 2, bn.inputs.count == 5 else { return nil }
        func tensor(_ name: String) -> Tensor? { plan.constants[name]?.floatTensor }
        guard let weight = tensor(conv.inputs[1]), let gamma = tensor(bn.inputs[1]), let beta = tensor(bn.inputs[2]),
              let mean = tensor(bn.inputs[3]), let variance = tensor(bn.inputs[4]) else { return nil }
        let bias = conv.inputs.count > 2 && !conv.inputs[2].isEmpty ? tensor(conv.inputs[2]) : nil
        if conv.inputs.count > 2 && !conv.inputs[2].isEmpty && bias == nil { return nil }
        return fold(weight: weight, bias: bias, scale: gamma, offset: beta, mean: mean, variance: variance,
                    epsilon: bn.attributes.float("epsilon") ?? 1e-5)
    }
}
