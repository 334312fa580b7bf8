/// Softmax and log-softmax along one axis, numerically stable (the maximum is subtracted first).
///
/// The tensor is viewed as [outer, n, inner] around the axis. For NCHW logits along the channel
/// axis `inner` is H*W: the kernel walks whole rows of `inner` values per class, so memory is
/// read contiguously, and splits the work over (outer, block of inner) units across threads.
extension Tensor {
    /// exp(x - max) / sum exp(x - max) along `axis` (default: channels of NCHW).
    public func softmax(alongAxis axis: Int = 1) -> Tensor {
        let view = SoftmaxView(shape, axis: axis, op: "softmax")
        let y = SoftmaxKernel.forward(self, view, logarithm: false)
        let saved = y.detached()
        return Tape.record(y, op: "softmax", self) { g in
            SoftmaxKernel.backward(g, saved, view, logarithm: false)
        }
    }

    /// x - max - log sum exp(x - max) along `axis`.
    public func logSoftmax(alongAxis axis: Int = 1) -> Tensor {
        let view = SoftmaxView(shape, axis: axis, op: "log_softmax")
        let y = SoftmaxKernel.forward(self, view, logarithm: true)
        let saved = y.detached()
        return Tape.record(y, op: "log_softmax", self) { g in
            SoftmaxKernel.backward(g, saved, view, logarithm: true)
        }
    }
}

/// A tensor seen as [outer, n, inner] around the softmax axis, cut into work units.
struct SoftmaxView: Sendable {
    let outer: Int, n: Int, inner: Int
    /// Width of the block of `inner` positions one unit handles.
    let block: Int

    init(_ shape: [Int], axis: Int, op: String) {
        precondition(!shape.isEmpty, "\(op): cannot take a softmax of a scalar (shape \(shape))")
        let a = Shape.axis(axis, rank: shape.count, op: op)
        outer = Shape.count(Array(shape[..<a]))
        n = shape[a]
        inner = Shape.count(Array(shape[(a + 1)...]))
        block = Swift.max(1, Swift.min(inner, 1024))
    }

    var blocksPerOuter: Int { (inner + block - 1) / block }
    var units: Int { outer * blocksPerOuter }

    /// Runs `body(base, width)` for every unit: `base` is the offset of class 0 at the block's first position.
    @inline(__always)
    func forEachUnit(_ body: (_ base: Int, _ width: Int) -> Void) {
        let perWorker = Swift.max(1, ParallelKernels.grain / Swift.max(n * block, 1))
        let blocks = blocksPerOuter
        Parallel.forEach(units, minimumWork: perWorker) { u in
            let o = u / blocks, start = (u % blocks) * block
            body(o * n * inner + start, Swift.min(block, inner - start))
        }
    }
}

enum SoftmaxKernel {
    static func forward(_ x: Tensor, _ v: SoftmaxView, logarithm: Bool) -> Tensor {
        if v.inner == 1 { return SoftmaxRows.forward(x, rows: v.outer, n: v.n, logarithm: logarithm) }
        let (n, inner) = (v.n, v.inner)
        return Tensor(shape: x.shape) { out in
            guard out.count > 0 else { return }
            x.withUnsafeBufferPointer { src in
                v.forEachUnit { base, width in
                    let maxima = UnsafeMutablePointer<Float>.allocate(capacity: 2 * width)
                    defer { maxima.deallocate() }
                    let sums = maxima + width
                    for i in 0..<width { maxima[i] = -.infinity; sums[i] = 0 }
                    // Branch-free maximum; a NaN input still yields NaN outputs through x - max below.
                    for k in 0..<n {
                        let row = base + k * inner
                        for i in 0..<width {
                            let value = src[row + i]
                            maxima[i] = value > maxima[i] ? value : maxima[i]
                        }
                    }
                    for k in 0..<n {
                        let row = base + k * inner
                        if logarithm {
                            for i in 0..<width { sums[i] += FastExponential.ofNonPositive(src[row + i] - maxima[i]) }
                        } else {
                            for i in 0..<width {
                                let e = FastExponential.ofNonPositive(src[row + i] - maxima[i])
                                sums[i] += e
                                out[row + i] = e
                            }
                        }
                    }
                    if logarithm {
                        for i in 0..<width { sums[i] = maxima[i] + _logf(sums[i]) }
                        for k in 0..<n {
                            let row = base + k * inner
                            for i in 0..<width { out[row + i] = src[row + i] - sums[i] }
                        }
                    } else {
                        for i in 0..<width { sums[i] = 1 / sums[i] }
                        for k in 0..<n {
                            let row = base + k * inner
                            for i in 0..<width { out[row + i] *= sums[i] }
                        }
                    }
                }
            }
        }
    }

    /// softmax: dx = y * (g - sum g*y); log-softmax: dx = g - exp(y) * sum g.
    static func backward(_ g: Tensor, _ y: Tensor, _ v: SoftmaxView, logarithm: Bool) -> Tensor {
        if v.inner == 1 { return SoftmaxRows.backward(g, y, rows: v.outer, n: v.n, logarithm: logarithm) }
        let (n, inner) = (v.n, v.inner)
        return Tensor(shape: y.shape) { dx in
            guard dx.count > 0 else { return }
            g.withUnsafeBufferPointer { gp in
                y.withUnsafeBufferPointer { yp in
                    v.forEachUnit { base, width in
                        let sums = UnsafeMutablePointer<Float>.allocate(capacity: width)
                        defer { sums.deallocate() }
                        sums.initialize(repeating: 0, count: width)
                        for k in 0..<n {
                            let row = base + k * inner
                            for i in 0..<width {
                                sums[i] += logarithm ? gp[row + i] : gp[row + i] * yp[row + i]
                            }
                        }
                        for k in 0..<n {
                            let row = base + k * inner
                            for i in 0..<width {
                                let j = row + i
                                dx[j] = logarithm ? gp[j] - FastExponential.ofNonPositive(yp[j]) * sums[i] : yp[j] * (gp[j] - sums[i])
                            }
                        }
                    }
                }
            }
        }
    }
}
