/// The input gradient of a stride-1 convolution is itself a forward convolution: the output
/// gradient convolved with the spatially flipped weight, input and output channels swapped, padded
/// by the kernel extent minus the original padding.
///
/// Running it through the forward GEMM path (im2col of `dy` with a long `Cout * kH * kW` inner
/// dimension) is faster than `col2im(W^T x dy)`, whose GEMM has only `Cout` as inner dimension and
/// whose scatter writes every input pixel `kH * kW` times.
enum FlippedConvolution {
    /// The forward geometry and weight computing the input gradient of `g`, or nil when the
    /// rewrite does not apply (strides above 1, or padding wider than the kernel's extent).
    static func inputGradientAsForward(_ g: ConvGeometry, weight: Tensor) -> (ConvGeometry, Tensor)? {
        guard g.strideY == 1 && g.strideX == 1 else { return nil }
        let extentY = g.dilationY * (g.kernelHeight - 1), extentX = g.dilationX * (g.kernelWidth - 1)
        // Stride 1: outHeight = inHeight + top + bottom - extent, which gives the bottom/right padding.
        let padBottom = g.outHeight - g.inHeight - g.padTop + extentY
        let padRight = g.outWidth - g.inWidth - g.padLeft + extentX
        guard g.padTop <= extentY && padBottom <= extentY && g.padLeft <= extentX && padRight <= extentX else { return nil }
        let padding = Padding2D(top: extentY - g.padTop, left: extentX - g.padLeft,
                                bottom: extentY - padBottom, right: extentX - padRight)
        let flippedShape = [g.inChannels, g.outChannelsPerGroup, g.kernelHeight, g.kernelWidth]
        let geometry = ConvGeometry(op: "conv2d input gradient", input: g.outputShape, weight: flippedShape,
                                    stride: (1, 1), padding: padding, dilation: (g.dilationY, g.dilationX), groups: g.groups)
        return (geometry, flipped(weight, g))
    }

    /// `[Cout, Cin/groups, kH, kW]` to `[Cin, Cout/groups, kH, kW]`, each kernel rotated by 180 degrees.
    private static func flipped(_ weight: Tensor, _ g: ConvGeometry) -> Tensor {
        let (inPerGroup, outPerGroup, area) = (g.inChannelsPerGroup, g.outChannelsPerGroup, g.kernelArea)
        return Tensor(shape: [g.inChannels, outPerGroup, g.kernelHeight, g.kernelWidth]) { out in
            weight.withUnsafeBufferPointer { w in
                for group in 0..<g.groups {
                    for o in 0..<outPerGroup {
                        for i in 0..<inPerGroup {
                            let src = w.baseAddress! + ((group * outPerGroup + o) * inPerGroup + i) * area
                            let dst = out.baseAddress! + ((group * inPerGroup + i) * outPerGroup + o) * area
                            for t in 0..<area { dst[t] = src[area - 1 - t] }
                        }
                    }
                }
            }
        }
    }
}
