/// [N, C, inner] view of a tensor normalized per channel (axis 1), with the per-channel kernels
/// batch normalization needs. Work is split over channels: each worker owns whole channels,
/// so sums need no locks and outputs are written disjointly.
struct ChannelLayout: Sendable {
    let images: Int
    let channels: Int
    let inner: Int

    init(_ shape: [Int], op: String) {
        precondition(shape.count >= 2, "\(op): expected [N, C, ...] input, got shape \(shape)")
        images = shape[0]
        channels = shape[1]
        inner = Shape.count(Array(shape[2...]))
    }

    /// Runs `body(c)` for every channel, in parallel when the tensor is large.
    @inline(__always)
    private func forEachChannel(_ body: (Int) -> Void) {
        ParallelKernels.forEachPlane(channels, planeSize: images * inner, body)
    }

    /// y = x * scale[c] + shift[c].
    func affine(_ x: Tensor, scale: [Float], shift: [Float]) -> Tensor {
        let (n, c, inner) = (images, channels, inner)
        return Tensor(shape: x.shape) { out in
            x.withUnsafeBufferPointer { src in
                forEachChannel { ch in
                    let a = scale[ch], b = shift[ch]
                    for i in 0..<n {
                        let base = (i * c + ch) * inner
                        for j in base ..< base + inner { out[j] = src[j] * a + b }
                    }
                }
            }
        }
    }

    /// out = g * gScale[c] + x * xScale[c] + constant[c] (the shape of every batch-norm input gradient).
    func combine(_ g: Tensor, _ x: Tensor, gScale: [Float], xScale: [Float], constant: [Float]) -> Tensor {
        let (n, c, inner) = (images, channels, inner)
        return Tensor(shape: x.shape) { out in
            g.withUnsafeBufferPointer { gp in
                x.withUnsafeBufferPointer { xp in
                    forEachChannel { ch in
                        let a = gScale[ch], b = xScale[ch], k = constant[ch]
                        for i in 0..<n {
                            let base = (i * c + ch) * inner
                            for j in base ..< base + inner { out[j] = gp[j] * a + xp[j] * b + k }
                        }
                    }
                }
            }
        }
    }

    /// Per-channel mean and biased variance, accumulated in Double (two passes for accuracy).
    func channelMoments(_ x: Tensor) -> (mean: [Double], variance: [Double]) {
        let (n, c, inner) = (images, channels, inner)
        let count = Double(n * inner)
        var mean = [Double](repeating: 0, count: c), variance = [Double](repeating: 0, count: c)
        mean.withUnsafeMutableBufferPointer { meanOut in
            variance.withUnsafeMutableBufferPointer { varOut in
                x.withUnsafeBufferPointer { src in
                    forEachChannel { ch in
                        var sum: Double = 0
                        for i in 0..<n { sum += BlockStatistics.sum(src.baseAddress! + (i * c + ch) * inner, inner) }
                        let mu = sum / count
                        var squares: Double = 0
                        for i in 0..<n {
                            squares += BlockStatistics.squaredDeviations(src.baseAddress! + (i * c + ch) * inner, inner, mean: mu)
                        }
                        meanOut[ch] = mu
                        varOut[ch] = squares / count
                    }
                }
            }
        }
        return (mean, variance)
    }

    /// Per-channel sum of g and of g * (x - center).
    func channelSums(_ g: Tensor, _ x: Tensor, center: [Float]) -> (sumG: [Double], sumGCentered: [Double]) {
        let (n, c, inner) = (images, channels, inner)
        var sumG = [Double](repeating: 0, count: c), sumGC = [Double](repeating: 0, count: c)
        sumG.withUnsafeMutableBufferPointer { sg in
            sumGC.withUnsafeMutableBufferPointer { sgc in
                g.withUnsafeBufferPointer { gp in
                    x.withUnsafeBufferPointer { xp in
                        forEachChannel { ch in
                            let mu = center[ch]
                            var a: Double = 0, b: Double = 0
                            for i in 0..<n {
                                let base = (i * c + ch) * inner
                                for j in base ..< base + inner {
                                    a += Double(gp[j])
                                    b += Double(gp[j] * (xp[j] - mu))
                                }
                            }
                            sg[ch] = a
                            sgc[ch] = b
                        }
                    }
                }
            }
        }
        return (sumG, sumGC)
    }
}
