internal import CGeoLensKernels

/// Average pooling (NCHW): windowed as PyTorch `avg_pool2d` / ONNX AveragePool, global, and adaptive.
extension Tensor {
    /// Average over windows. With `countIncludePad`, the divisor is the window clipped to the padded
    /// input (so with `ceilMode` a window hanging past the padding divides by less than kh * kw);
    /// without it, the divisor is the number of input elements the window covers.
    public func avgPool2d(kernel: (Int, Int), stride: (Int, Int)? = nil, padding: Padding2D = .zero,
                          ceilMode: Bool = false, countIncludePad: Bool = true) -> Tensor {
        let geometry = Pool2DGeometry(shape, op: "avgPool2d", kernel: kernel, stride: stride, padding: padding,
                                      dilation: (1, 1), ceilMode: ceilMode)
        let pooling = WindowAverage(rows: AverageWindows(geometry.rows), columns: AverageWindows(geometry.columns),
                                    countIncludePad: countIncludePad, inputShape: shape)
        return pooling.apply(to: self, op: "avg_pool2d")
    }

    /// Mean of every H x W plane: [N, C, H, W] -> [N, C, 1, 1]. Each plane is summed in double by
    /// `gl_sum` (16 interleaved lanes, vectorized: squeeze-and-excitation blocks pool every
    /// expanded feature map of an EfficientNet).
    public func globalAvgPool2d() -> Tensor {
        let layout = PlaneLayout(shape, op: "globalAvgPool2d")
        let planeSize = layout.planeSize
        precondition(planeSize > 0, "globalAvgPool2d: empty spatial extent in shape \(shape)")
        let y = Tensor(shape: PlaneLayout.shape(shape, height: 1, width: 1)) { out in
            withUnsafeBufferPointer { src in
                ParallelKernels.forEachPlane(layout.planes, planeSize: planeSize) { p in
                    out[p] = Float(gl_sum(src.baseAddress! + p * planeSize, planeSize) / Double(planeSize))
                }
            }
        }
        let inputShape = shape
        return Tape.record(y, op: "global_avg_pool2d", self) { g in
            Tensor(shape: inputShape) { dx in
                g.withUnsafeBufferPointer { gp in
                    ParallelKernels.forEachPlane(layout.planes, planeSize: planeSize) { p in
                        let share = gp[p] / Float(planeSize)
                        for i in p * planeSize ..< (p + 1) * planeSize { dx[i] = share }
                    }
                }
            }
        }
    }

    /// PyTorch `adaptive_avg_pool2d`: output cell (i, j) averages rows [floor(i*H/oh), ceil((i+1)*H/oh))
    /// and the matching columns.
    public func adaptiveAvgPool2d(outputSize: (Int, Int)) -> Tensor {
        let layout = PlaneLayout(shape, op: "adaptiveAvgPool2d")
        precondition(outputSize.0 >= 1 && outputSize.1 >= 1 && layout.height >= 1 && layout.width >= 1,
                     "adaptiveAvgPool2d: output size \(outputSize) is invalid for input of shape \(shape)")
        let pooling = WindowAverage(rows: AverageWindows(adaptiveInput: layout.height, output: outputSize.0),
                                    columns: AverageWindows(adaptiveInput: layout.width, output: outputSize.1),
                                    countIncludePad: false, inputShape: shape)
        return pooling.apply(to: self, op: "adaptive_avg_pool2d")
    }
}

/// A separable set of average windows over the planes of an NCHW tensor, with its forward and backward.
struct WindowAverage: Sendable {
    let rows: AverageWindows
    let columns: AverageWindows
    let countIncludePad: Bool
    let inputShape: [Int]

    var layout: PlaneLayout { PlaneLayout(inputShape, op: "pool") }
    var outputShape: [Int] { PlaneLayout.shape(inputShape, height: rows.start.count, width: columns.start.count) }

    /// 1 / divisor of output (oh, ow), or 0 for a window that covers no input element.
    @inline(__always)
    func inverseDivisor(_ oh: Int, _ ow: Int) -> Float {
        let h = rows.end[oh] - rows.start[oh], w = columns.end[ow] - columns.start[ow]
        guard h > 0 && w > 0 else { return 0 }
        let divisor = countIncludePad ? rows.paddedLength[oh] * columns.paddedLength[ow] : h * w
        return 1 / Float(divisor)
    }

    func apply(to x: Tensor, op: String) -> Tensor {
        let y = forward(x)
        return Tape.record(y, op: op, x) { g in backward(g) }
    }

    func forward(_ x: Tensor) -> Tensor {
        let layout = layout
        let (outH, outW, inW) = (rows.start.count, columns.start.count, layout.width)
        return Tensor(shape: outputShape) { out in
            x.withUnsafeBufferPointer { src in
                ParallelKernels.forEachPlane(layout.planes, planeSize: layout.planeSize) { p in
                    let plane = src.baseAddress! + p * layout.planeSize
                    for oh in 0..<outH {
                        for ow in 0..<outW {
                            var acc: Float = 0
                            for ih in rows.start[oh] ..< Swift.max(rows.start[oh], rows.end[oh]) {
                                let row = plane + ih * inW
                                for iw in columns.start[ow] ..< Swift.max(columns.start[ow], columns.end[ow]) {
                                    acc += row[iw]
                                }
                            }
                            out[(p * outH + oh) * outW + ow] = acc * inverseDivisor(oh, ow)
                        }
                    }
                }
            }
        }
    }

    /// Spreads each output gradient evenly (by the same divisor) over the input elements of its window.
    func backward(_ g: Tensor) -> Tensor {
        let layout = layout
        let (outH, outW, inW) = (rows.start.count, columns.start.count, layout.width)
        return Tensor(shape: inputShape) { dx in
            dx.initialize(repeating: 0)
            g.withUnsafeBufferPointer { gp in
                ParallelKernels.forEachPlane(layout.planes, planeSize: layout.planeSize) { p in
                    let plane = dx.baseAddress! + p * layout.planeSize
                    for oh in 0..<outH {
                        for ow in 0..<outW {
                            let share = gp[(p * outH + oh) * outW + ow] * inverseDivisor(oh, ow)
                            for ih in rows.start[oh] ..< Swift.max(rows.start[oh], rows.end[oh]) {
                                let row = plane + ih * inW
                                for iw in columns.start[ow] ..< Swift.max(columns.start[ow], columns.end[ow]) {
                                    row[iw] += share
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
