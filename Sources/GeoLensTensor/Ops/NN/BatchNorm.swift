/// Batch normalization over axis 1 of [N, C, ...] tensors: inference with running statistics and
/// training with batch statistics, both differentiable.
extension Tensor {
    /// Inference: (x - mean) / sqrt(var + eps) * weight + bias per channel (axis 1).
    ///
    /// One pass: y = x * a + b with a = weight / sqrt(var + eps), b = bias - mean * a per channel.
    /// Gradients flow to the input, the statistics, the weight and the bias.
    public func batchNorm(mean: Tensor, variance: Tensor, weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) -> Tensor {
        let layout = ChannelLayout(shape, op: "batchNorm")
        let c = layout.channels
        let mu = mean.channelVector(c, op: "batchNorm", role: "mean", input: shape)
        let v = variance.channelVector(c, op: "batchNorm", role: "variance", input: shape)
        let w = weight?.channelVector(c, op: "batchNorm", role: "weight", input: shape) ?? [Float](repeating: 1, count: c)
        let b = bias?.channelVector(c, op: "batchNorm", role: "bias", input: shape) ?? [Float](repeating: 0, count: c)
        let inverseStd = v.map { 1 / ($0 + epsilon).squareRoot() }
        let scale = (0..<c).map { w[$0] * inverseStd[$0] }
        let shift = (0..<c).map { b[$0] - mu[$0] * scale[$0] }
        let y = layout.affine(self, scale: scale, shift: shift)

        let inputs = [self, mean, variance] + [weight, bias].compactMap { $0 }
        let (hasWeight, hasBias) = (weight != nil, bias != nil)
        let x = detached()
        return Tape.record(y, op: "batch_norm", inputs: inputs) { g, needs in
            var grads: [Tensor?] = [needs[0] ? layout.affine(g, scale: scale, shift: [Float](repeating: 0, count: c)) : nil]
            // Per channel: sum g and sum g * (x - mean).
            let (sumG, sumGCentered) = layout.channelSums(g, x, center: mu)
            let channel = { (values: [Double]) in Tensor(shape: [c], scalars: values.map { Float($0) }) }
            grads.append(needs[1] ? channel((0..<c).map { -Double(scale[$0]) * sumG[$0] }) : nil)
            grads.append(needs[2] ? channel((0..<c).map {
                -0.5 * Double(w[$0]) * Double(inverseStd[$0] * inverseStd[$0] * inverseStd[$0]) * sumGCentered[$0]
            }) : nil)
            if hasWeight {
                grads.append(needs[3] ? channel((0..<c).map { Double(inverseStd[$0]) * sumGCentered[$0] }) : nil)
            }
            if hasBias { grads.append(needs[needs.count - 1] ? channel(sumG) : nil) }
            return grads
        }
    }

    /// Training: normalizes with the batch statistics (biased variance), differentiable; also returns
    /// the batch mean and the unbiased batch variance for updating running statistics (off the tape).
    public func batchNormTraining(weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5)
        -> (output: Tensor, mean: Tensor, unbiasedVariance: Tensor) {
        let layout = ChannelLayout(shape, op: "batchNormTraining")
        let c = layout.channels, m = layout.images * layout.inner
        precondition(m > 1, "batchNormTraining: need more than one value per channel, got input of shape \(shape)")
        let w = weight?.channelVector(c, op: "batchNormTraining", role: "weight", input: shape) ?? [Float](repeating: 1, count: c)
        let b = bias?.channelVector(c, op: "batchNormTraining", role: "bias", input: shape) ?? [Float](repeating: 0, count: c)
        let (mean, variance) = layout.channelMoments(self)
        let mu = mean.map { Float($0) }
        let inverseStd = variance.map { Float(1 / ($0 + Double(epsilon)).squareRoot()) }
        let scale = (0..<c).map { w[$0] * inverseStd[$0] }
        let shift = (0..<c).map { b[$0] - mu[$0] * scale[$0] }
        let y = layout.affine(self, scale: scale, shift: shift)

        let inputs = [self] + [weight, bias].compactMap { $0 }
        let (hasWeight, hasBias) = (weight != nil, bias != nil)
        let x = detached()
        let output = Tape.record(y, op: "batch_norm_training", inputs: inputs) { g, needs in
            let (sumG, sumGCentered) = layout.channelSums(g, x, center: mu)
            // sum g * xhat = invstd * sum g * (x - mean).
            let sumGHat = (0..<c).map { Double(inverseStd[$0]) * sumGCentered[$0] }
            var grads: [Tensor?] = []
            if needs[0] {
                // dx = w * invstd * (g - mean(g) - xhat * mean(g * xhat)), as y = x * a + b per channel:
                // dx = g * k - x * k * s1 + k * (mean * s1 - mean(g)), k = w * invstd, s1 = invstd * mean(g * xhat).
                let k = scale
                let s1 = (0..<c).map { Float(Double(inverseStd[$0]) * sumGHat[$0] / Double(m)) }
                let gScale = k
                let xScale = (0..<c).map { -k[$0] * s1[$0] }
                let constant = (0..<c).map { k[$0] * (mu[$0] * s1[$0] - Float(sumG[$0] / Double(m))) }
                grads.append(layout.combine(g, x, gScale: gScale, xScale: xScale, constant: constant))
            } else {
                grads.append(nil)
            }
            let channel = { (values: [Double]) in Tensor(shape: [c], scalars: values.map { Float($0) }) }
            if hasWeight { grads.append(needs[1] ? channel(sumGHat) : nil) }
            if hasBias { grads.append(needs[needs.count - 1] ? channel(sumG) : nil) }
            return grads
        }
        let unbiased = variance.map { Float($0 * Double(m) / Double(m - 1)) }
        return (output, Tensor(shape: [c], scalars: mu), Tensor(shape: [c], scalars: unbiased))
    }
}
