/// Group, instance and layer normalization: statistics per contiguous block, affine per parameter.
extension Tensor {
    /// PyTorch `group_norm` on [N, C, ...]: statistics over each group of C / groups channels of one image.
    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) -> Tensor {
        precondition(rank >= 2, "groupNorm: expected [N, C, ...] input, got shape \(shape)")
        let c = shape[1]
        precondition(groups >= 1 && c % groups == 0,
                     "groupNorm: \(groups) groups do not divide the \(c) channels of input shape \(shape)")
        let inner = Shape.count(Array(shape[2...]))
        let blocks = BlockNormalization(blocks: shape[0] * groups, groups: groups, channelsPerGroup: c / groups,
                                        inner: inner, epsilon: epsilon)
        return blocks.apply(to: self, weight: weight?.channelVectorTensor(c, op: "groupNorm", role: "weight", input: shape),
                            bias: bias?.channelVectorTensor(c, op: "groupNorm", role: "bias", input: shape), op: "group_norm")
    }

    /// PyTorch `instance_norm` with batch statistics: each (image, channel) plane normalized on its own.
    public func instanceNorm(weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) -> Tensor {
        precondition(rank >= 3, "instanceNorm: expected [N, C, H, ...] input, got shape \(shape)")
        return groupNorm(groups: shape[1], weight: weight, bias: bias, epsilon: epsilon)
    }

    /// PyTorch `layer_norm`: statistics over the trailing `normalizedShape` axes; weight and bias have that shape.
    public func layerNorm(normalizedShape: [Int], weight: Tensor?, bias: Tensor?, epsilon: Float = 1e-5) -> Tensor {
        precondition(!normalizedShape.isEmpty && normalizedShape.count <= rank
                     && Array(shape.suffix(normalizedShape.count)) == normalizedShape,
                     "layerNorm: normalized shape \(normalizedShape) is not the trailing part of input shape \(shape)")
        for (role, t) in [("weight", weight), ("bias", bias)] {
            if let t {
                precondition(t.shape == normalizedShape,
                             "layerNorm: \(role) has shape \(t.shape), expected \(normalizedShape) for input of shape \(shape)")
            }
        }
        let length = Shape.count(normalizedShape)
        let blocks = BlockNormalization(blocks: length == 0 ? 0 : count / length, groups: 1, channelsPerGroup: length,
                                        inner: 1, epsilon: epsilon)
        return blocks.apply(to: self, weight: weight?.reshaped([length]), bias: bias?.reshaped([length]), op: "layer_norm")
    }

    /// A rank-1 tensor of `expected` elements, checked like `channelVector`.
    fileprivate func channelVectorTensor(_ expected: Int, op: String, role: String, input: [Int]) -> Tensor {
        precondition(shape == [expected],
                     "\(op): \(role) has shape \(shape), expected [\(expected)] for input of shape \(input)")
        return self
    }
}

/// Normalization of `blocks` contiguous blocks of `channelsPerGroup * inner` values each, with one
/// affine parameter per channel: block b, position j uses parameter (b % groups) * channelsPerGroup + j / inner.
/// Group norm is (N * G) blocks of (C/G channels x H*W); layer norm is rows with one parameter per position.
struct BlockNormalization: Sendable {
    let blocks: Int
    let groups: Int
    let channelsPerGroup: Int
    let inner: Int
    let epsilon: Float

    var length: Int { channelsPerGroup * inner }
    var parameterCount: Int { groups * channelsPerGroup }

    @inline(__always)
    private func forEachBlock(_ body: (Int) -> Void) {
        ParallelKernels.forEachPlane(blocks, planeSize: length, body)
    }

    func apply(to x: Tensor, weight: Tensor?, bias: Tensor?, op: String) -> Tensor {
        let p = parameterCount
        let w = weight?.scalars ?? [Float](repeating: 1, count: p)
        let b = bias?.scalars ?? [Float](repeating: 0, count: p)
        var mean = [Float](repeating: 0, count: blocks), inverseStd = [Float](repeating: 0, count: blocks)
        let (len, cpg, inner, eps) = (length, channelsPerGroup, inner, Double(epsilon))
        let y = Tensor(shape: x.shape) { out in
            x.withUnsafeBufferPointer { src in
                mean.withUnsafeMutableBufferPointer { meanOut in
                    inverseStd.withUnsafeMutableBufferPointer { stdOut in
                        forEachBlock { blk in
                            let base = blk * len
                            let block = src.baseAddress! + base
                            let mu = BlockStatistics.sum(block, len) / Double(len)
                            let squares = BlockStatistics.squaredDeviations(block, len, mean: mu)
                            let rstd = Float(1 / (squares / Double(len) + eps).squareRoot())
                            meanOut[blk] = Float(mu); stdOut[blk] = rstd
                            let firstParameter = (blk % groups) * cpg
                            if inner == 1 {
                                // Layer norm: one parameter per position, a loop that vectorizes.
                                let (center, out) = (Float(mu), out.baseAddress! + base)
                                w.withUnsafeBufferPointer { wp in
                                    b.withUnsafeBufferPointer { bp in
                                        for k in 0..<cpg { out[k] = (block[k] - center) * rstd * wp[firstParameter + k] + bp[firstParameter + k] }
                                    }
                                }
                                return
                            }
                            for k in 0..<cpg {
                                let a = w[firstParameter + k] * rstd
                                let shift = b[firstParameter + k] - Float(mu) * a
                                let start = base + k * inner
                                for j in start ..< start + inner { out[j] = src[j] * a + shift }
                            }
                        }
                    }
                }
            }
        }
        let inputs = [x] + [weight, bias].compactMap { $0 }
        let (hasWeight, hasBias, saved) = (weight != nil, bias != nil, x.detached())
        let (savedMean, savedStd) = (mean, inverseStd)
        return Tape.record(y, op: op, inputs: inputs) { g, needs in
            let (dx, dw, db) = backward(g, saved, w: w, mean: savedMean, inverseStd: savedStd, needsInput: needs[0])
            var grads: [Tensor?] = [dx]
            if hasWeight { grads.append(needs[1] ? Tensor(shape: [p], scalars: dw).reshaped(weight!.shape) : nil) }
            if hasBias { grads.append(needs[needs.count - 1] ? Tensor(shape: [p], scalars: db).reshaped(bias!.shape) : nil) }
            return grads
        }
    }

    /// dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)) per block with gw = g * w; dw = sum g * xhat; db = sum g.
    /// Parameter sums are accumulated per chunk of blocks and then added, so workers never share an accumulator.
    private func backward(_ g: Tensor, _ x: Tensor, w: [Float], mean: [Float], inverseStd: [Float], needsInput: Bool)
        -> (Tensor?, [Float], [Float]) {
        let (len, cpg, inner, p) = (length, channelsPerGroup, inner, parameterCount)
        let chunks = blocks * len >= ParallelKernels.grain ? Swift.min(blocks, Parallel.threadCount) : 1
        var partial = [Double](repeating: 0, count: chunks * 2 * p)
        var dx: Tensor? = nil
        g.withUnsafeBufferPointer { gp in
            x.withUnsafeBufferPointer { xp in
                let input = Tensor(shape: x.shape) { dxp in
                    partial.withUnsafeMutableBufferPointer { acc in
                        Parallel.forEach(chunks) { chunk in
                            let dwAcc = acc.baseAddress! + chunk * 2 * p, dbAcc = dwAcc + p
                            for blk in blocks * chunk / chunks ..< blocks * (chunk + 1) / chunks {
                                let base = blk * len, firstParameter = (blk % groups) * cpg
                                let mu = mean[blk], rstd = inverseStd[blk]
                                var sumGW: Double = 0, sumGWHat: Double = 0
                                for k in 0..<cpg {
                                    let wk = w[firstParameter + k], start = base + k * inner
                                    var sg: Double = 0, sgh: Double = 0
                                    for j in start ..< start + inner {
                                        let hat = (xp[j] - mu) * rstd
                                        sg += Double(gp[j]); sgh += Double(gp[j] * hat)
                                    }
                                    dwAcc[firstParameter + k] += sgh; dbAcc[firstParameter + k] += sg
                                    sumGW += Double(wk) * sg; sumGWHat += Double(wk) * sgh
                                }
                                guard needsInput else { continue }
                                let meanGW = Float(sumGW / Double(len)), meanGWHat = Float(sumGWHat / Double(len))
                                for k in 0..<cpg {
                                    let wk = w[firstParameter + k], start = base + k * inner
                                    for j in start ..< start + inner {
                                        let hat = (xp[j] - mu) * rstd
                                        dxp[j] = rstd * (gp[j] * wk - meanGW - hat * meanGWHat)
                                    }
                                }
                            }
                        }
                    }
                }
                if needsInput { dx = input }
            }
        }
        var dw = [Float](repeating: 0, count: p), db = [Float](repeating: 0, count: p)
        for i in 0..<p {
            var a: Double = 0, b: Double = 0
            for chunk in 0..<chunks { a += partial[chunk * 2 * p + i]; b += partial[chunk * 2 * p + p + i] }
            dw[i] = Float(a); db[i] = Float(b)
        }
        return (dx, dw, db)
    }
}
