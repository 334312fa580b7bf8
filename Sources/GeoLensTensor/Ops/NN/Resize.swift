internal import CGeoLensKernels

/// Spatial resizing of NCHW tensors: ONNX Resize semantics (`resized`) and PyTorch
/// `F.interpolate` semantics (`upsampled`), both differentiable.
///
/// Each axis is reduced to a table of source taps (`ResizeAxis`) once per call; the kernels then
/// walk output rows plane by plane, blending at most two rows and two columns per output pixel.
extension Tensor {
    /// ONNX Resize on the last two axes to `height` x `width`. `scales` (out / in per axis) default to the
    /// size ratio; give them when the graph specifies scales whose ratio is not exact.
    public func resized(height: Int, width: Int, mode: ResizeMode, coordinates: CoordinateTransform,
                        scales: (height: Float, width: Float)? = nil) -> Tensor {
        let layout = PlaneLayout(shape, op: "resized", minimumRank: 2)
        precondition(height >= 1 && width >= 1 && layout.height >= 1 && layout.width >= 1,
                     "resized: cannot resize shape \(shape) to \(height) x \(width)")
        let rows = ResizeAxis.onnx(input: layout.height, output: height, scale: scales?.height,
                                   mode: mode, transform: coordinates)
        let columns = ResizeAxis.onnx(input: layout.width, output: width, scale: scales?.width,
                                      mode: mode, transform: coordinates)
        return ResizeKernel(rows: rows, columns: columns, inputShape: shape).apply(to: self)
    }

    /// PyTorch F.interpolate: mode nearest (= asymmetric + floor), bilinear with align_corners true/false.
    public func upsampled(height: Int, width: Int, bilinear: Bool, alignCorners: Bool = false) -> Tensor {
        let layout = PlaneLayout(shape, op: "upsampled", minimumRank: 2)
        precondition(height >= 1 && width >= 1 && layout.height >= 1 && layout.width >= 1,
                     "upsampled: cannot resize shape \(shape) to \(height) x \(width)")
        let rows = ResizeAxis.pytorch(input: layout.height, output: height, bilinear: bilinear, alignCorners: alignCorners)
        let columns = ResizeAxis.pytorch(input: layout.width, output: width, bilinear: bilinear, alignCorners: alignCorners)
        return ResizeKernel(rows: rows, columns: columns, inputShape: shape).apply(to: self)
    }
}

/// A separable two-tap resize of every plane, with its forward and backward.
struct ResizeKernel: Sendable {
    let rows: ResizeAxis
    let columns: ResizeAxis
    let inputShape: [Int]

    func apply(to x: Tensor) -> Tensor {
        let y = forward(x)
        return Tape.record(y, op: "resize", x) { g in backward(g) }
    }

    private var layout: PlaneLayout { PlaneLayout(inputShape, op: "resize", minimumRank: 2) }

    /// Separable forward: each needed input row is blended horizontally once into a scratch row, then
    /// output rows are vertical blends of two scratch rows. The arithmetic is PyTorch's
    /// h0 * (w0 * x00 + w1 * x01) + h1 * (w0 * x10 + w1 * x11), so results are bit-identical to the direct form.
    func forward(_ x: Tensor) -> Tensor {
        let layout = layout
        let (outH, outW, inW, inPlane) = (rows.count, columns.count, layout.width, layout.planeSize)
        let nearest = rows.isNearest && columns.isNearest
        // Nearest upsampling by a whole factor (a U-Net decoder's 2x) copies each input value
        // `factor` times with a vector kernel instead of gathering column by column.
        let repeatFactor = nearest ? columns.repeatFactor(input: inW) : nil
        return Tensor(shape: PlaneLayout.shape(inputShape, height: outH, width: outW)) { out in
            x.withUnsafeBufferPointer { src in
                columns.lower.withUnsafeBufferPointer { c0 in
                columns.upper.withUnsafeBufferPointer { c1 in
                columns.upperWeight.withUnsafeBufferPointer { cw in
                    ParallelKernels.forEachPlane(layout.planes, planeSize: outH * outW) { p in
                        let plane = src.baseAddress! + p * inPlane
                        let outPlane = out.baseAddress! + p * outH * outW
                        if nearest {
                            for oh in 0..<outH {
                                let dst = outPlane + oh * outW
                                if oh > 0 && rows.lower[oh] == rows.lower[oh - 1] {
                                    dst.update(from: dst - outW, count: outW)
                                    continue
                                }
                                let top = plane + rows.lower[oh] * inW
                                if let repeatFactor {
                                    gl_repeat_row(top, dst, inW, Int32(repeatFactor))
                                } else {
                                    for ow in 0..<outW { dst[ow] = top[c0[ow]] }
                                }
                            }
                            return
                        }
                        // Two scratch rows holding horizontally blended input rows `held[0]` and `held[1]`.
                        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * outW)
                        defer { scratch.deallocate() }
                        var slots = (scratch, scratch + outW)
                        var held = (-1, -1)
                        func blend(_ r: Int, into row: UnsafeMutablePointer<Float>) {
                            let input = plane + r * inW
                            for ow in 0..<outW {
                                let w1 = cw[ow]
                                row[ow] = (1 - w1) * input[c0[ow]] + w1 * input[c1[ow]]
                            }
                        }
                        for oh in 0..<outH {
                            let (r0, r1) = (rows.lower[oh], rows.upper[oh])
                            if held.0 != r0 {
                                if held.1 == r0 {
                                    slots = (slots.1, slots.0)
                                    held = (held.1, held.0)
                                } else {
                                    blend(r0, into: slots.0)
                                    held.0 = r0
                                }
                            }
                            if held.1 != r1 {
                                blend(r1, into: slots.1)
                                held.1 = r1
                            }
                            let dst = outPlane + oh * outW
                            let h1 = rows.upperWeight[oh], h0 = 1 - h1
                            let (top, bottom) = slots
                            for ow in 0..<outW { dst[ow] = h0 * top[ow] + h1 * bottom[ow] }
                        }
                    }
                }
                }
                }
            }
        }
    }

    /// Scatters each output gradient back to its (up to four) source pixels with the forward weights.
    func backward(_ g: Tensor) -> Tensor {
        let layout = layout
        let (outH, outW, inW, inPlane) = (rows.count, columns.count, layout.width, layout.planeSize)
        return Tensor(shape: inputShape) { dx in
            dx.initialize(repeating: 0)
            g.withUnsafeBufferPointer { gp in
                columns.lower.withUnsafeBufferPointer { c0 in
                columns.upper.withUnsafeBufferPointer { c1 in
                columns.upperWeight.withUnsafeBufferPointer { cw in
                    ParallelKernels.forEachPlane(layout.planes, planeSize: outH * outW) { p in
                        let plane = dx.baseAddress! + p * inPlane
                        for oh in 0..<outH {
                            let grad = gp.baseAddress! + (p * outH + oh) * outW
                            let top = plane + rows.lower[oh] * inW
                            let bottom = plane + rows.upper[oh] * inW
                            let h1 = rows.upperWeight[oh], h0 = 1 - h1
                            for ow in 0..<outW {
                                let w1 = cw[ow], w0 = 1 - w1, v = grad[ow]
                                top[c0[ow]] += h0 * w0 * v
                                top[c1[ow]] += h0 * w1 * v
                                bottom[c0[ow]] += h1 * w0 * v
                                bottom[c1[ow]] += h1 * w1 * v
                            }
                        }
                    }
                }
                }
                }
            }
        }
    }
}
