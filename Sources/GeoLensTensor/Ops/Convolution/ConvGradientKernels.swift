/// Convolution gradients as GEMMs: the input gradient is `col2im(W^T x dy)`, the weight gradient
/// `dy x im2col(x)^T` summed over images, the bias gradient a per-channel sum. 3x3 stride-1
/// convolutions run both through Winograd F(2x2, 3x3) instead (`WinogradConvKernel` for the input
/// gradient as a flipped forward convolution, `WinogradWeightGradientKernel`).
///
/// The transposed convolution uses the same kernels: its forward pass is `inputGradient` and its
/// weight gradient is `weightGradient` with the roles of the two activations swapped.
enum ConvGradientKernels {
    /// d(loss)/d(input) of shape `g.inputShape`, from the output gradient `dy` (`g.outputShape`);
    /// `epilogue` runs on the result (the transposed convolution's bias).
    static func inputGradient(outputGradient dy: Tensor, weight: Tensor, geometry g: ConvGeometry,
                              epilogue: ConvEpilogue = .none) -> Tensor {
        if g.isDepthwise {
            return DepthwiseConvKernel.inputGradient(outputGradient: dy, weight: weight, geometry: g, epilogue: epilogue)
        }
        if !g.isPointwise, let (forward, flipped) = FlippedConvolution.inputGradientAsForward(g, weight: weight) {
            // A 3x3 stride-1 input gradient is a 3x3 stride-1 forward convolution: Winograd
            // F(2x2, 3x3) computes it with 16 instead of 36 multiplications per pixel and channel
            // pair (float rounding differs from im2col by about 1e-6 relative; the units are fixed
            // by the geometry, so results stay the same for any thread count or batch).
            return ConvForwardKernel.run(input: dy, weight: flipped, geometry: forward, epilogue: epilogue,
                                         allowWinograd: ConvForwardKernel.winogradEnabled)
        }
        return Tensor(shape: g.inputShape) { gx in
            guard gx.count > 0 else { return }
            dy.withUnsafeBufferPointer { dyb in
                weight.withUnsafeBufferPointer { wb in
                    epilogue.withKernel { ep in
                        inputGradient(dy: dyb.baseAddress!, weight: wb.baseAddress!, result: gx.baseAddress!, g, ep)
                    }
                }
            }
        }
    }

    /// Units are (image, group, block of input channels): each block's col2im writes only its own
    /// channel planes, so units never overlap.
    private static func inputGradient(dy: UnsafePointer<Float>, weight: UnsafePointer<Float>, result: UnsafeMutablePointer<Float>,
                                      _ g: ConvGeometry, _ epilogue: ConvEpilogue.Kernel) {
        let perGroup = g.inChannelsPerGroup
        let channelsPerUnit = g.isPointwise ? perGroup
            : Swift.max(1, Swift.min(perGroup, ConvThreading.inputGradientFloats / Swift.max(g.kernelArea * g.outPlane, 1)))
        let blocksPerGroup = (perGroup + channelsPerUnit - 1) / channelsPerUnit
        let units = g.batch * g.groups * blocksPerGroup
        ConvThreading.withSingleThreadedBLAS {
            Parallel.forEach(units) { u in
                let n = u / (g.groups * blocksPerGroup)
                let group = (u / blocksPerGroup) % g.groups
                let first = (u % blocksPerGroup) * channelsPerUnit
                let local = first..<Swift.min(perGroup, first + channelsPerUnit)
                let channels = (group * perGroup + local.lowerBound)..<(group * perGroup + local.upperBound)
                let image = result + n * g.inChannels * g.inPlane
                let outPerGroup = g.outChannelsPerGroup
                let a = weight + group * outPerGroup * g.patchSize + local.lowerBound * g.kernelArea
                let b = dy + (n * g.outChannels + group * outPerGroup) * g.outPlane
                let m = local.count * g.kernelArea
                if g.isPointwise {
                    BLAS.sgemm(transposeA: true, m: m, n: g.outPlane, k: outPerGroup, a: a, lda: g.patchSize,
                               b: b, ldb: g.outPlane, c: image + channels.lowerBound * g.inPlane, ldc: g.inPlane)
                } else {
                    ScratchBuffers.shared.withBuffer(count: m * g.outPlane) { columns in
                        BLAS.sgemm(transposeA: true, m: m, n: g.outPlane, k: outPerGroup, a: a, lda: g.patchSize,
                                   b: b, ldb: g.outPlane, c: columns, ldc: g.outPlane)
                        (image + channels.lowerBound * g.inPlane).initialize(repeating: 0, count: channels.count * g.inPlane)
                        Im2Col.foldAdding(columns, g, channels: channels, into: image)
                    }
                }
                epilogue.apply(to: image + channels.lowerBound * g.inPlane, channels: channels,
                               rowStride: g.inPlane, width: g.inPlane)
            }
        }
    }

    /// d(loss)/d(weight) of shape `g.weightShape` from the input `x` and the output gradient `dy`.
    /// `allowWinograd: false` keeps 3x3 stride-1 convolutions on the exact im2col GEMM (tests).
    static func weightGradient(input x: Tensor, outputGradient dy: Tensor, geometry g: ConvGeometry,
                               allowWinograd: Bool = true) -> Tensor {
        if g.isDepthwise {
            return DepthwiseConvKernel.weightGradient(input: x, outputGradient: dy, geometry: g)
        }
        if allowWinograd && WinogradWeightGradientKernel.applies(to: g) {
            // 16 instead of 36 multiplications per pixel and channel pair, summed in an order
            // fixed by the geometry (the same bits on any thread count).
            return Tensor(shape: g.weightShape) { out in
                x.withUnsafeBufferPointer { xb in
                    dy.withUnsafeBufferPointer { dyb in
                        WinogradWeightGradientKernel.run(input: xb.baseAddress!, outputGradient: dyb.baseAddress!,
                                                         result: out.baseAddress!, g)
                    }
                }
            }
        }
        let weightCount = Shape.count(g.weightShape)
        let units = ConvThreading.RowUnits(g, columns: ConvThreading.weightGradientColumns)
        let lanes = Swift.max(1, Swift.min(weightGradientLanes, units.count))
        let columnFloats = g.isPointwise ? 0 : g.inChannels * g.kernelArea * units.rowsPerUnit * g.outWidth
        // One partial sum per lane (a fixed run of units), added up in lane order at the end: the
        // lanes depend on the geometry only, so the sum has the same bits on any thread count, and
        // workers never write the same memory.
        let partials = Tensor(shape: [lanes, weightCount]) { acc in
            acc.initialize(repeating: 0)
            x.withUnsafeBufferPointer { xb in
                dy.withUnsafeBufferPointer { dyb in
                    ConvThreading.withSingleThreadedBLAS {
                        Parallel.forEach(lanes) { lane in
                            let mine = (units.count * lane / lanes)..<(units.count * (lane + 1) / lanes)
                            ScratchBuffers.shared.withBuffer(count: columnFloats) { scratch in
                                for u in mine {
                                    accumulate(unit: units.unit(u), x: xb.baseAddress!, dy: dyb.baseAddress!, scratch: scratch,
                                               into: acc.baseAddress! + lane * weightCount, g)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard lanes > 1 else { return partials.reshaped(g.weightShape) }
        return Tensor(shape: g.weightShape) { out in
            partials.withUnsafeBufferPointer { p in
                out.baseAddress!.update(from: p.baseAddress!, count: weightCount)
                for lane in 1..<lanes {
                    VectorKernels.add(p.baseAddress! + lane * weightCount, into: out.baseAddress!, count: weightCount)
                }
            }
        }
    }

    /// Partial sums of the im2col weight gradient: enough to keep a few cores busy, few enough
    /// that their memory (one weight tensor each) stays small.
    static let weightGradientLanes = 4

    /// Adds one unit's `dy x columns^T` to the accumulator, group by group.
    private static func accumulate(unit: (image: Int, rows: Range<Int>), x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                   scratch: UnsafeMutablePointer<Float>, into acc: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (n, rows) = unit
        let width = rows.count * g.outWidth
        let image = x + n * g.inChannels * g.inPlane
        let gradient = dy + n * g.outChannels * g.outPlane + rows.lowerBound * g.outWidth
        let columns: UnsafePointer<Float>, columnStride: Int, groupStride: Int
        if g.isPointwise {
            columns = image + rows.lowerBound * g.outWidth
            columnStride = g.inPlane
            groupStride = g.inChannelsPerGroup * g.inPlane
        } else {
            Im2Col.unfold(image, g, channels: 0..<g.inChannels, rows: rows, into: scratch)
            columns = UnsafePointer(scratch)
            columnStride = width
            groupStride = g.patchSize * width
        }
        let outPerGroup = g.outChannelsPerGroup
        for group in 0..<g.groups {
            BLAS.sgemm(transposeB: true, m: outPerGroup, n: g.patchSize, k: width,
                       a: gradient + group * outPerGroup * g.outPlane, lda: g.outPlane,
                       b: columns + group * groupStride, ldb: columnStride, beta: 1,
                       c: acc + group * outPerGroup * g.patchSize, ldc: g.patchSize)
        }
    }

    /// d(loss)/d(bias): the output gradient summed over images and pixels, per channel.
    static func biasGradient(outputGradient dy: Tensor) -> Tensor {
        precondition(dy.rank == 4, "conv bias gradient: output gradient \(dy.shape) is not [N, C, H, W]")
        let (batch, channels, plane) = (dy.shape[0], dy.shape[1], dy.shape[2] * dy.shape[3])
        return Tensor(shape: [channels]) { out in
            dy.withUnsafeBufferPointer { src in
                Parallel.forEach(channels, minimumWork: Swift.max(1, 16_384 / Swift.max(batch * plane, 1))) { c in
                    var total: Float = 0
                    for n in 0..<batch {
                        total += VectorKernels.sum(src.baseAddress! + (n * channels + c) * plane, count: plane)
                    }
                    out[c] = total
                }
            }
        }
    }
}
