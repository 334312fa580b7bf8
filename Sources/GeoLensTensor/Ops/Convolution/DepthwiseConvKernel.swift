/// Direct kernels for depthwise convolutions (`groups == Cin`, weight `[Cout, 1, kH, kW]`, output
/// channel `c` reading input channel `c / (Cout / Cin)`).
///
/// GEMM is a poor fit here (a 1 x kH*kW by kH*kW x pixels product per channel), so each (image,
/// channel) plane is computed directly, in parallel over planes. Stride-1 interiors accumulate all
/// taps of eight neighbouring outputs in one SIMD register and store once; borders and strided
/// convolutions take a scalar path with bounds checks.
enum DepthwiseConvKernel {
    typealias Vector = VectorKernels.Vector

    static func forward(input x: Tensor, weight: Tensor, geometry g: ConvGeometry, epilogue: ConvEpilogue) -> Tensor {
        let multiplier = g.outChannelsPerGroup
        return Tensor(shape: g.outputShape) { out in
            guard out.count > 0 else { return }
            x.withUnsafeBufferPointer { xb in
                weight.withUnsafeBufferPointer { wb in
                    epilogue.withKernel { ep in
                        let (src, w, dst) = (xb.baseAddress!, wb.baseAddress!, out.baseAddress!)
                        Parallel.forEach(g.batch * g.outChannels) { plane in
                            let (n, c) = plane.quotientAndRemainder(dividingBy: g.outChannels)
                            let result = dst + plane * g.outPlane
                            forwardPlane(src + (n * g.inChannels + c / multiplier) * g.inPlane, weight: w + c * g.kernelArea,
                                         into: result, g)
                            ep.apply(to: result, channels: c..<(c + 1), rowStride: g.outPlane, width: g.outPlane)
                        }
                    }
                }
            }
        }
    }

    /// One output plane from one input plane and one `kH x kW` filter.
    private static func forwardPlane(_ src: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                     into dst: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (kw, dy, dx) = (g.kernelWidth, g.dilationY, g.dilationX)
        // Outputs whose taps are all inside the row: the first tap's lower bound, the last tap's upper.
        let interiorLow = Swift.min(g.outWidth, Im2Col.validOutputs(
            outCount: g.outWidth, inCount: g.inWidth, stride: g.strideX, pad: g.padLeft, offset: 0).lowerBound)
        let interiorHigh = Swift.max(interiorLow, Im2Col.validOutputs(
            outCount: g.outWidth, inCount: g.inWidth, stride: g.strideX, pad: g.padLeft, offset: (kw - 1) * dx).upperBound)
        for oy in 0..<g.outHeight {
            let out = dst + oy * g.outWidth
            let top = oy * g.strideY - g.padTop
            // The taps ky whose input row top + ky * dy lies inside the image.
            let kyLow = top >= 0 ? 0 : (-top + dy - 1) / dy
            let kyHigh = Swift.min(g.kernelHeight, top > g.inHeight - 1 ? 0 : (g.inHeight - 1 - top) / dy + 1)
            let taps = kyLow..<Swift.max(kyLow, kyHigh)
            // Border outputs: scalar, with bounds checks on the column.
            for ox in 0..<g.outWidth where ox < interiorLow || ox >= interiorHigh {
                var total: Float = 0
                let left = ox * g.strideX - g.padLeft
                for ky in taps {
                    let row = src + (top + ky * dy) * g.inWidth
                    for kx in 0..<kw {
                        let ix = left + kx * dx
                        if ix >= 0 && ix < g.inWidth { total += w[ky * kw + kx] * row[ix] }
                    }
                }
                out[ox] = total
            }
            var ox = interiorLow
            if g.strideX == 1 {
                while ox + 8 <= interiorHigh {
                    var acc = Vector()
                    for ky in taps {
                        let row = src + (top + ky * dy) * g.inWidth + ox - g.padLeft
                        let filter = w + ky * kw
                        for kx in 0..<kw {
                            acc += Vector(repeating: filter[kx]) * VectorKernels.load(row + kx * dx)
                        }
                    }
                    VectorKernels.store(acc, out + ox)
                    ox += 8
                }
            }
            while ox < interiorHigh {
                var total: Float = 0
                for ky in taps {
                    let row = src + (top + ky * dy) * g.inWidth + ox * g.strideX - g.padLeft
                    for kx in 0..<kw { total += w[ky * kw + kx] * row[kx * dx] }
                }
                out[ox] = total
                ox += 1
            }
        }
    }

    /// d(loss)/d(input); `epilogue` runs on each input-channel plane (the transposed convolution's bias).
    static func inputGradient(outputGradient dy: Tensor, weight: Tensor, geometry g: ConvGeometry,
                              epilogue: ConvEpilogue) -> Tensor {
        let multiplier = g.outChannelsPerGroup
        return Tensor(shape: g.inputShape) { gx in
            guard gx.count > 0 else { return }
            dy.withUnsafeBufferPointer { dyb in
                weight.withUnsafeBufferPointer { wb in
                    epilogue.withKernel { ep in
                        let (src, w, dst) = (dyb.baseAddress!, wb.baseAddress!, gx.baseAddress!)
                        Parallel.forEach(g.batch * g.inChannels) { plane in
                            let (n, c) = plane.quotientAndRemainder(dividingBy: g.inChannels)
                            let result = dst + plane * g.inPlane
                            result.initialize(repeating: 0, count: g.inPlane)
                            for m in 0..<multiplier {
                                let outChannel = c * multiplier + m
                                scatterPlane(src + (n * g.outChannels + outChannel) * g.outPlane,
                                             weight: w + outChannel * g.kernelArea, into: result, g)
                            }
                            ep.apply(to: result, channels: c..<(c + 1), rowStride: g.inPlane, width: g.inPlane)
                        }
                    }
                }
            }
        }
    }

    /// Adds the contribution of one output-gradient plane to its input plane.
    private static func scatterPlane(_ gy: UnsafePointer<Float>, weight w: UnsafePointer<Float>,
                                     into gx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        for ky in 0..<g.kernelHeight {
            let rows = Im2Col.validOutputs(outCount: g.outHeight, inCount: g.inHeight, stride: g.strideY,
                                           pad: g.padTop, offset: ky * g.dilationY)
            for kx in 0..<g.kernelWidth {
                let cols = Im2Col.validOutputs(outCount: g.outWidth, inCount: g.inWidth, stride: g.strideX,
                                               pad: g.padLeft, offset: kx * g.dilationX)
                guard !cols.isEmpty else { continue }
                let tap = w[ky * g.kernelWidth + kx]
                let offsetX = kx * g.dilationX - g.padLeft
                for oy in rows {
                    let from = gy + oy * g.outWidth
                    let to = gx + (oy * g.strideY - g.padTop + ky * g.dilationY) * g.inWidth + offsetX
                    if g.strideX == 1 {
                        VectorKernels.axpy(tap, from + cols.lowerBound, into: to + cols.lowerBound, count: cols.count)
                    } else {
                        for ox in cols { to[ox * g.strideX] += tap * from[ox] }
                    }
                }
            }
        }
    }

    /// d(loss)/d(weight): for each output channel and tap, the sum over images and pixels of the
    /// output gradient times the input it multiplied. Parallel over output channels.
    static func weightGradient(input x: Tensor, outputGradient dy: Tensor, geometry g: ConvGeometry) -> Tensor {
        let multiplier = g.outChannelsPerGroup
        return Tensor(shape: g.weightShape) { gw in
            x.withUnsafeBufferPointer { xb in
                dy.withUnsafeBufferPointer { dyb in
                    let (src, grad, dst) = (xb.baseAddress!, dyb.baseAddress!, gw.baseAddress!)
                    Parallel.forEach(g.outChannels) { c in
                        for ky in 0..<g.kernelHeight {
                            let rows = Im2Col.validOutputs(outCount: g.outHeight, inCount: g.inHeight, stride: g.strideY,
                                                           pad: g.padTop, offset: ky * g.dilationY)
                            for kx in 0..<g.kernelWidth {
                                let cols = Im2Col.validOutputs(outCount: g.outWidth, inCount: g.inWidth, stride: g.strideX,
                                                               pad: g.padLeft, offset: kx * g.dilationX)
                                let offsetX = kx * g.dilationX - g.padLeft
                                var total: Float = 0
                                for n in 0..<g.batch where !cols.isEmpty {
                                    let input = src + (n * g.inChannels + c / multiplier) * g.inPlane
                                    let gradient = grad + (n * g.outChannels + c) * g.outPlane
                                    for oy in rows {
                                        let from = gradient + oy * g.outWidth
                                        let xs = input + (oy * g.strideY - g.padTop + ky * g.dilationY) * g.inWidth + offsetX
                                        if g.strideX == 1 {
                                            total += VectorKernels.dot(from + cols.lowerBound, xs + cols.lowerBound, count: cols.count)
                                        } else {
                                            for ox in cols { total += from[ox] * xs[ox * g.strideX] }
                                        }
                                    }
                                }
                                dst[c * g.kernelArea + ky * g.kernelWidth + kx] = total
                            }
                        }
                    }
                }
            }
        }
    }
}
