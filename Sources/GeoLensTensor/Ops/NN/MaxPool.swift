/// 2-D max pooling (NCHW) as PyTorch `max_pool2d` / ONNX MaxPool.
///
/// Padding counts as -inf, so it never wins; NaN wins like in PyTorch. The first maximal element
/// in window scan order receives the gradient. The argmax of every output is recorded only when
/// the call is on the tape, so inference pays for the values alone.
extension Tensor {
    public func maxPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding2D = .zero,
                          dilation: (Int, Int) = (1, 1), ceilMode: Bool = false) -> Tensor {
        let geometry = Pool2DGeometry(shape, op: "maxPool2d", kernel: kernel, stride: stride, padding: padding,
                                      dilation: dilation, ceilMode: ceilMode)
        let keepIndices = willRecord
        let (y, argmax) = MaxPoolKernel.forward(self, geometry, keepIndices: keepIndices)
        guard keepIndices else { return y }
        if let epsilon = GradientMode.rescaleRuleEpsilon {
            let (x, output) = (detached(), y.detached())
            return RescaleRule.record(y, op: "max_pool2d", input: self, ordinary: { g in MaxPoolKernel.backward(g, argmax, geometry) }) { g in
                RescaleRule.maxPoolGradient(g, input: x, output: output, argmax: argmax, geometry: geometry, epsilon: epsilon)
            }
        }
        return Tape.record(y, op: "max_pool2d", self) { g in
            MaxPoolKernel.backward(g, argmax, geometry)
        }
    }
}

enum MaxPoolKernel {
    /// The pooled values and, when asked, the in-plane index of each maximum (-1 for an all-padding window).
    static func forward(_ x: Tensor, _ geo: Pool2DGeometry, keepIndices: Bool) -> (Tensor, [Int32]) {
        let (rows, cols) = (geo.rows, geo.columns)
        let inPlane = geo.inputPlaneSize, outPlane = geo.outputPlaneSize
        let rowTaps = TapRange.all(rows), columnTaps = TapRange.all(cols)
        var indices = [Int32](repeating: -1, count: keepIndices ? geo.planes * outPlane : 0)
        let y = indices.withUnsafeMutableBufferPointer { indexBuffer in
            Tensor(shape: geo.outputShape) { out in
                x.withUnsafeBufferPointer { src in
                    ParallelKernels.forEachPlane(geo.planes, planeSize: inPlane) { p in
                        let plane = src.baseAddress! + p * inPlane
                        let (inW, dH, dW) = (cols.input, rows.dilation, cols.dilation)
                        for oh in 0..<rows.output {
                            let rt = rowTaps[oh]
                            let outRow = p * outPlane + oh * cols.output
                            for ow in 0..<cols.output {
                                let ct = columnTaps[ow]
                                var best = -Float.infinity
                                if keepIndices {
                                    // Training: track the first maximum (NaN wins, as in PyTorch).
                                    var bestIndex = -1
                                    for kh in rt.first..<rt.end {
                                        let row = (rt.origin + kh * dH) * inW
                                        for kw in ct.first..<ct.end {
                                            let v = plane[row + ct.origin + kw * dW]
                                            if v > best || v.isNaN || bestIndex < 0 { best = v; bestIndex = row + ct.origin + kw * dW }
                                        }
                                    }
                                    indexBuffer[outRow + ow] = Int32(bestIndex)
                                } else {
                                    // Inference: branch-free maximum. A running sum becomes NaN when any tap is
                                    // NaN (or on inf - inf); only then is the window rescanned for a real NaN.
                                    var probe: Float = 0
                                    for kh in rt.first..<rt.end {
                                        let row = plane + (rt.origin + kh * dH) * inW + ct.origin
                                        for kw in ct.first..<ct.end {
                                            let v = row[kw * dW]
                                            best = v > best ? v : best
                                            probe += v
                                        }
                                    }
                                    if probe.isNaN && windowHasNaN(plane, rt, ct, inW, dH, dW) { best = .nan }
                                }
                                out[outRow + ow] = best
                            }
                        }
                    }
                }
            }
        }
        return (y, indices)
    }

    /// True when a tap of the window is NaN.
    private static func windowHasNaN(_ plane: UnsafePointer<Float>, _ rt: TapRange, _ ct: TapRange,
                                     _ inW: Int, _ dH: Int, _ dW: Int) -> Bool {
        for kh in rt.first..<rt.end {
            for kw in ct.first..<ct.end where plane[(rt.origin + kh * dH) * inW + ct.origin + kw * dW].isNaN {
                return true
            }
        }
        return false
    }

    /// Routes each output gradient to the input element that was the maximum of its window.
    static func backward(_ g: Tensor, _ argmax: [Int32], _ geo: Pool2DGeometry) -> Tensor {
        let inPlane = geo.inputPlaneSize, outPlane = geo.outputPlaneSize
        return Tensor(shape: geo.inputShape) { dx in
            dx.initialize(repeating: 0)
            g.withUnsafeBufferPointer { gp in
                argmax.withUnsafeBufferPointer { idx in
                    ParallelKernels.forEachPlane(geo.planes, planeSize: inPlane) { p in
                        let base = p * inPlane
                        for o in p * outPlane ..< (p + 1) * outPlane where idx[o] >= 0 {
                            dx[base + Int(idx[o])] += gp[o]
                        }
                    }
                }
            }
        }
    }
}

/// The kernel taps of one window that fall inside the input: taps `first..<end`, tap k at `origin + k * dilation`.
struct TapRange: Sendable {
    let origin: Int
    let first: Int
    let end: Int

    /// The valid taps of every output position along `axis`.
    static func all(_ axis: PoolAxis) -> [TapRange] {
        (0..<axis.output).map { o in
            let origin = axis.start(o)
            var first = 0, end = axis.kernel
            while first < end && origin + first * axis.dilation < 0 { first += 1 }
            while end > first && origin + (end - 1) * axis.dilation >= axis.input { end -= 1 }
            return TapRange(origin: origin, first: first, end: end)
        }
    }
}
