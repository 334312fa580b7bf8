internal import CGeoLensKernels

/// Direct kernels for depthwise convolutions (`groups == Cin`, weight `[Cout, 1, kH, kW]`, output
/// channel `c` reading input channel `c / (Cout / Cin)`).
///
/// GEMM is a poor fit here (a 1 x kH*kW by kH*kW x pixels product per channel), so each (image,
/// channel) plane is computed directly, in parallel over blocks of planes. The forward pass first copies the
/// input plane into a zero-padded scratch plane (no bounds checks afterwards); with stride 1 it then
/// accumulates all taps of eight neighbouring outputs in one SIMD register and stores once. On
/// CPUs with AVX2 and FMA the plane runs in `gl_depthwise_plane` (eight-wide fused multiply-adds,
/// and a vector path for stride 2 as well).
enum DepthwiseConvKernel {
    typealias Vector = VectorKernels.Vector

    /// Output floats per work unit (about): small planes (the 8 x 8 and 16 x 16 maps of an
    /// encoder's late stages) are taken several channels at a time, so that one scratch checkout,
    /// one call and one epilogue pass serve many planes.
    static let unitFloats = 2048

    static func forward(input x: Tensor, weight: Tensor, geometry g: ConvGeometry, epilogue: ConvEpilogue) -> Tensor {
        let multiplier = g.outChannelsPerGroup
        // Units are (image, block of channels) with a block size fixed by the geometry.
        let channelsPerUnit = Swift.max(1, Swift.min(g.outChannels, unitFloats / Swift.max(g.outPlane, 1)))
        let unitsPerImage = (g.outChannels + channelsPerUnit - 1) / channelsPerUnit
        return Tensor(shape: g.outputShape) { out in
            guard out.count > 0 else { return }
            x.withUnsafeBufferPointer { xb in
                weight.withUnsafeBufferPointer { wb in
                    epilogue.withKernel { ep in
                        let (src, w, dst) = (xb.baseAddress!, wb.baseAddress!, out.baseAddress!)
                        let layout = PaddedPlane(g)
                        let useAVX2 = gl_uses_avx2() != 0
                        Parallel.forEach(g.batch * unitsPerImage) { unit in
                            let (n, block) = unit.quotientAndRemainder(dividingBy: unitsPerImage)
                            let channels = block * channelsPerUnit..<Swift.min(g.outChannels, (block + 1) * channelsPerUnit)
                            let first = dst + (n * g.outChannels + channels.lowerBound) * g.outPlane
                            // 16 floats of slack: the AVX2 stride-2 kernel loads 16 inputs for 8 outputs.
                            ScratchBuffers.shared.withBuffer(count: layout.count + 16) { padded in
                                for c in channels {
                                    let result = dst + (n * g.outChannels + c) * g.outPlane
                                    gl_pad_plane(src + (n * g.inChannels + c / multiplier) * g.inPlane, Int32(g.inHeight), Int32(g.inWidth),
                                                 Int32(g.padTop), Int32(g.padLeft), padded, Int32(layout.width), Int32(layout.height))
                                    if useAVX2 {
                                        gl_depthwise_plane(padded, layout.width, w + c * g.kernelArea,
                                                           Int32(g.kernelHeight), Int32(g.kernelWidth), Int32(g.dilationY), Int32(g.dilationX),
                                                           Int32(g.strideY), Int32(g.strideX), result, Int32(g.outHeight), Int32(g.outWidth))
                                    } else {
                                        forwardPlane(padded, layout, weight: w + c * g.kernelArea, into: result, g)
                                    }
                                }
                            }
                            ep.apply(to: first, channels: channels, rowStride: g.outPlane, width: g.outPlane)
                        }
                    }
                }
            }
        }
    }

    /// The zero-padded copy of one input plane (`gl_pad_plane`) that the plane kernels read: every
    /// tap of every output (rounded up to whole SIMD vectors along the row) lands inside it, so no
    /// bounds are checked.
    struct PaddedPlane {
        let width: Int, height: Int
        var count: Int { width * height }

        init(_ g: ConvGeometry) {
            let columns = g.strideX == 1 ? (g.outWidth + 7) / 8 * 8 : g.outWidth
            width = (columns - 1) * g.strideX + (g.kernelWidth - 1) * g.dilationX + 1
            height = (g.outHeight - 1) * g.strideY + (g.kernelHeight - 1) * g.dilationY + 1
        }
    }

    /// One output plane from one zero-padded input plane and one `kH x kW` filter.
    private static func forwardPlane(_ padded: UnsafePointer<Float>, _ layout: PaddedPlane, weight w: UnsafePointer<Float>,
                                     into dst: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (kh, kw, dy, dx, pitch) = (g.kernelHeight, g.kernelWidth, g.dilationY, g.dilationX, layout.width)
        for oy in 0..<g.outHeight {
            let out = dst + oy * g.outWidth
            let top = padded + oy * g.strideY * pitch
            if g.strideX == 1 {
                var ox = 0
                // 32 outputs at a time: four independent accumulator chains hide the add latency.
                while ox + 32 <= g.outWidth {
                    var acc0 = Vector(), acc1 = Vector(), acc2 = Vector(), acc3 = Vector()
                    for ky in 0..<kh {
                        let row = top + ky * dy * pitch + ox
                        let filter = w + ky * kw
                        for kx in 0..<kw {
                            let tap = Vector(repeating: filter[kx]), p = row + kx * dx
                            acc0 += tap * VectorKernels.load(p)
                            acc1 += tap * VectorKernels.load(p + 8)
                            acc2 += tap * VectorKernels.load(p + 16)
                            acc3 += tap * VectorKernels.load(p + 24)
                        }
                    }
                    VectorKernels.store(acc0, out + ox)
                    VectorKernels.store(acc1, out + ox + 8)
                    VectorKernels.store(acc2, out + ox + 16)
                    VectorKernels.store(acc3, out + ox + 24)
                    ox += 32
                }
                while ox < g.outWidth {
                    var acc = Vector()
                    for ky in 0..<kh {
                        let row = top + ky * dy * pitch + ox
                        let filter = w + ky * kw
                        for kx in 0..<kw {
                            acc += Vector(repeating: filter[kx]) * VectorKernels.load(row + kx * dx)
                        }
                    }
                    if ox + 8 <= g.outWidth {
                        VectorKernels.store(acc, out + ox)
                    } else {
                        for lane in 0..<(g.outWidth - ox) { out[ox + lane] = acc[lane] }
                    }
                    ox += 8
                }
            } else {
                for ox in 0..<g.outWidth {
                    var total: Float = 0
                    let corner = top + ox * g.strideX
                    for ky in 0..<kh {
                        let row = corner + ky * dy * pitch
                        for kx in 0..<kw { total += w[ky * kw + kx] * row[kx * dx] }
                    }
                    out[ox] = total
                }
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
