internal import CGeoLensKernels

/// 1 x 1 convolutions of 1 x 1 maps: the two small fully connected layers of a
/// squeeze-and-excitation block (an EfficientNet has two per block, 64 in B4), as one
/// matrix-vector product per image.
///
/// Through the GEMM path each of them packs the whole weight matrix for a product with one
/// column; `sgemv` reads the weights once instead. One product per image, so an image's result
/// does not depend on the batch it came in. Used for inference only, like Winograd: the tape's
/// pullbacks stay with the GEMM kernels.
enum SinglePixelConvKernel {
    /// Whether `g` is a convolution this kernel computes.
    static func applies(to g: ConvGeometry) -> Bool {
        g.isPointwise && g.groups == 1 && g.outPlane == 1
    }

    static func run(input x: Tensor, weight: Tensor, geometry g: ConvGeometry, epilogue: ConvEpilogue) -> Tensor {
        precondition(applies(to: g), "SinglePixelConvKernel: \(g.inputShape) with weight \(g.weightShape) is not a 1 x 1 map")
        return Tensor(shape: g.outputShape) { out in
            guard out.count > 0 else { return }
            x.withUnsafeBufferPointer { xb in
                weight.withUnsafeBufferPointer { wb in
                    epilogue.withKernel { ep in
                        for n in 0..<g.batch {
                            let result = out.baseAddress! + n * g.outChannels
                            BLAS.sgemv(m: g.outChannels, n: g.inChannels, a: wb.baseAddress!, lda: g.inChannels,
                                       x: xb.baseAddress! + n * g.inChannels, y: result)
                            applyEpilogue(ep, to: result, count: g.outChannels)
                        }
                    }
                }
            }
        }
    }

    /// The epilogue over one image's output vector at once (the same arithmetic as
    /// `ConvEpilogue.Kernel.apply`: the bias added, then the activation).
    private static func applyEpilogue(_ ep: ConvEpilogue.Kernel, to y: UnsafeMutablePointer<Float>, count: Int) {
        if let bias = ep.bias {
            for c in 0..<count { y[c] += bias[c] }
        }
        switch ep.activation {
        case .identity: break
        case .relu: for c in 0..<count { y[c] = Swift.max(y[c], 0) }
        case .silu: gl_silu(y, y, count)
        case .sigmoid: gl_sigmoid(y, y, count)
        }
    }
}
