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
        let total = geo.planes * outPlane
        var indices = [Int32](repeating: -1, count: keepIndices ? total : 0)
        let y = indices.withUnsafeMutableBufferPointer { indexBuffer in
            Tensor(shape: geo.outputShape) { out in
                x.withUnsafeBufferPointer { src in
                    ParallelKernels.forEachPlane(geo.planes, planeSize: inPlane) { p in
                        let plane = src.baseAddress! + p * inPlane
                        for oh in 0..<rows.output {
                            let h0 = rows.start(oh)
                            for ow in 0..<cols.output {
                                let w0 = cols.start(ow)
                                var best = -Float.infinity, bestIndex = -1
                                for kh in 0..<rows.kernel {
                                    let ih = h0 + kh * rows.dilation
                                    if ih < 0 || ih >= rows.input { continue }
                                    let row = ih * cols.input
                                    for kw in 0..<cols.kernel {
                                        let iw = w0 + kw * cols.dilation
                                        if iw < 0 || iw >= cols.input { continue }
                                        let v = plane[row + iw]
                                        if v > best || v.isNaN || bestIndex < 0 {
                                            best = v; bestIndex = row + iw
                                        }
                                    }
                                }
                                let o = p * outPlane + oh * cols.output + ow
                                out[o] = best
                                if keepIndices { indexBuffer[o] = Int32(bestIndex) }
                            }
                        }
                    }
                }
            }
        }
        return (y, indices)
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
