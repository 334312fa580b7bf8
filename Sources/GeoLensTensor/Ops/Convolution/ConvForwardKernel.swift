import Glibc

/// The convolution forward pass as packed GEMMs: `y[n, group] = W[group] x im2col(x[n], group)`.
///
/// Work is split into (image, block of output rows) units run in parallel, each with its own im2col
/// buffer from `ScratchBuffers` and single-threaded GEMMs. A 1x1 stride-1 convolution skips im2col
/// (the image plane already is the GEMM operand), grouped convolutions run one GEMM per group on
/// the shared column block, and depthwise convolutions go to the direct kernel instead.
enum ConvForwardKernel {
    /// Inference convolutions may use Winograd unless `GEOLENS_WINOGRAD=0` (for A/B timing and for
    /// bit-level comparisons with the im2col path).
    static let winogradEnabled: Bool = {
        guard let value = getenv("GEOLENS_WINOGRAD") else { return true }
        return String(cString: value) != "0"
    }()

    /// The Winograd tile of inference convolutions: F(4x4, 3x3), or F(2x2, 3x3) with
    /// `GEOLENS_WINOGRAD=2` (for A/B timing).
    static let inferenceWinogradTile: WinogradConvKernel.Tile = {
        guard let value = getenv("GEOLENS_WINOGRAD") else { return .f4x4 }
        return String(cString: value) == "2" ? .f2x2 : .f4x4
    }()

    /// `x` of `g.inputShape` convolved with `weight` of `g.weightShape`, then `epilogue`.
    /// `allowWinograd` lets 3x3 stride-1 convolutions run as Winograd with `winogradTile` (inference
    /// only: the tape's pullbacks assume nothing about how the forward was computed, but training
    /// and gradient parity stay on the exact im2col path).
    static func run(input x: Tensor, weight: Tensor, geometry g: ConvGeometry, epilogue: ConvEpilogue,
                    allowWinograd: Bool = false, winogradTile: WinogradConvKernel.Tile = .f2x2) -> Tensor {
        if g.isDepthwise {
            return DepthwiseConvKernel.forward(input: x, weight: weight, geometry: g, epilogue: epilogue)
        }
        let winograd = allowWinograd && WinogradConvKernel.applies(to: g, tile: winogradTile)
        return Tensor(shape: g.outputShape) { out in
            guard out.count > 0 else { return }
            x.withUnsafeBufferPointer { xb in
                weight.withUnsafeBufferPointer { wb in
                    epilogue.withKernel { ep in
                        if winograd {
                            WinogradConvKernel.run(input: xb.baseAddress!, weight: weight, output: out.baseAddress!, g, ep,
                                                   tile: winogradTile)
                            return
                        }
                        run(input: xb.baseAddress!, weight: wb.baseAddress!, output: out.baseAddress!, g, ep)
                    }
                }
            }
        }
    }

    /// Pointer form: writes every element of `output` (`g.outputShape`).
    static func run(input: UnsafePointer<Float>, weight: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                    _ g: ConvGeometry, _ epilogue: ConvEpilogue.Kernel) {
        let units = ConvThreading.RowUnits(g, columns: ConvThreading.forwardColumns)
        let columnFloats = g.isPointwise ? 0 : g.inChannels * g.kernelArea * units.rowsPerUnit * g.outWidth
        let channelBlock = ConvThreading.outputChannelBlock(g, rowBlocks: units.blocksPerImage)
        let channelBlocks = (g.outChannels + channelBlock - 1) / channelBlock
        ConvThreading.withSingleThreadedBLAS {
            Parallel.forEach(units.count * channelBlocks) { u in
                let (n, rows) = units.unit(u / channelBlocks)
                let first = (u % channelBlocks) * channelBlock
                let channels = first..<Swift.min(g.outChannels, first + channelBlock)
                let image = input + n * g.inChannels * g.inPlane
                let result = output + n * g.outChannels * g.outPlane + rows.lowerBound * g.outWidth
                if g.isPointwise {
                    multiplyBlock(weight: weight, columns: image + rows.lowerBound * g.outWidth, columnStride: g.inPlane,
                                  groupStride: g.inChannelsPerGroup * g.inPlane, rows: rows, channels: channels,
                                  result: result, g, epilogue)
                } else {
                    ScratchBuffers.shared.withBuffer(count: columnFloats) { columns in
                        Im2Col.unfold(image, g, channels: 0..<g.inChannels, rows: rows, into: columns)
                        let width = rows.count * g.outWidth
                        multiplyBlock(weight: weight, columns: columns, columnStride: width,
                                      groupStride: g.patchSize * width, rows: rows, channels: channels,
                                      result: result, g, epilogue)
                    }
                }
            }
        }
    }

    /// One GEMM per group for the output rows `rows` of one image, then the epilogue on the block.
    /// `columns` is group 0's `patchSize x width` operand with row stride `columnStride`; group `i`'s
    /// starts `i * groupStride` further. With one group, `channels` may be a block of the output
    /// channels (the GEMM's rows), which then is all this call computes.
    @inline(__always)
    private static func multiplyBlock(weight: UnsafePointer<Float>, columns: UnsafePointer<Float>, columnStride: Int,
                                      groupStride: Int, rows: Range<Int>, channels: Range<Int>,
                                      result: UnsafeMutablePointer<Float>,
                                      _ g: ConvGeometry, _ epilogue: ConvEpilogue.Kernel) {
        let width = rows.count * g.outWidth
        let outPerGroup = g.outChannelsPerGroup
        if channels.count < g.outChannels {
            precondition(g.groups == 1, "ConvForwardKernel: output channel blocks of a grouped convolution")
            let block = result + channels.lowerBound * g.outPlane
            BLAS.sgemm(m: channels.count, n: width, k: g.patchSize, a: weight + channels.lowerBound * g.patchSize,
                       lda: g.patchSize, b: columns, ldb: columnStride, c: block, ldc: g.outPlane)
            epilogue.apply(to: block, channels: channels, rowStride: g.outPlane, width: width)
            return
        }
        for group in 0..<g.groups {
            BLAS.sgemm(m: outPerGroup, n: width, k: g.patchSize,
                       a: weight + group * outPerGroup * g.patchSize, lda: g.patchSize,
                       b: columns + group * groupStride, ldb: columnStride,
                       c: result + group * outPerGroup * g.outPlane, ldc: g.outPlane)
        }
        epilogue.apply(to: result, channels: 0..<g.outChannels, rowStride: g.outPlane, width: width)
    }
}
