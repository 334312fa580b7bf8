/// The sizes of one 2-D convolution, checked once and shared by every kernel.
///
/// Kernels are written for the forward convolution `x [N, Cin, H, W] * w [Cout, Cin/groups, kH, kW]
/// -> y [N, Cout, Hout, Wout]`. The transposed convolution reuses them with the roles of input and
/// output swapped (its forward pass is this convolution's input gradient), so "input" and "output"
/// below always mean the forward convolution's.
struct ConvGeometry: Sendable, Equatable {
    var batch: Int
    var inChannels: Int, inHeight: Int, inWidth: Int
    var outChannels: Int, outHeight: Int, outWidth: Int
    var kernelHeight: Int, kernelWidth: Int
    var strideY: Int, strideX: Int
    var padTop: Int, padLeft: Int
    var dilationY: Int, dilationX: Int
    var groups: Int

    /// Input channels seen by one output channel.
    var inChannelsPerGroup: Int { inChannels / groups }
    /// Output channels made from one group of input channels.
    var outChannelsPerGroup: Int { outChannels / groups }
    var inPlane: Int { inHeight * inWidth }
    var outPlane: Int { outHeight * outWidth }
    /// Rows of one group's im2col matrix (and columns of one group's weight matrix).
    var patchSize: Int { inChannelsPerGroup * kernelHeight * kernelWidth }
    var kernelArea: Int { kernelHeight * kernelWidth }
    var weightShape: [Int] { [outChannels, inChannelsPerGroup, kernelHeight, kernelWidth] }
    var inputShape: [Int] { [batch, inChannels, inHeight, inWidth] }
    var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }
    /// Multiply-adds of the forward pass (for benchmarks).
    var multiplyAdds: Int { batch * outChannels * outPlane * patchSize }

    /// A 1x1, stride-1, unpadded convolution is a plain matrix product over the image plane.
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideY == 1 && strideX == 1
            && padTop == 0 && padLeft == 0 && outHeight == inHeight && outWidth == inWidth
    }

    /// One filter per input channel (channel multiplier `outChannelsPerGroup`): the direct kernel's case.
    var isDepthwise: Bool { groups == inChannels && groups > 1 }

    /// Checks the forward convolution's shapes and derives the output size; traps naming both shapes.
    init(op: String, input: [Int], weight: [Int], stride: (Int, Int), padding: Padding2D,
         dilation: (Int, Int), groups: Int) {
        precondition(input.count == 4, "\(op): input \(input) is not [N, C, H, W] (weight \(weight))")
        precondition(weight.count == 4,
                     "\(op): weight \(weight) is not [Cout, Cin/groups, kH, kW] (input \(input))")
        precondition(groups >= 1, "\(op): groups \(groups) must be at least 1 (input \(input), weight \(weight))")
        precondition(stride.0 >= 1 && stride.1 >= 1 && dilation.0 >= 1 && dilation.1 >= 1,
                     "\(op): stride \(stride) and dilation \(dilation) must be positive (input \(input), weight \(weight))")
        precondition(input[1] % groups == 0 && weight[0] % groups == 0,
                     "\(op): groups \(groups) does not divide the input channels of \(input) and the output channels of weight \(weight)")
        precondition(weight[1] * groups == input[1],
                     "\(op): input \(input) has \(input[1]) channels but weight \(weight) expects \(weight[1]) x \(groups) groups")
        precondition(weight[2] >= 1 && weight[3] >= 1, "\(op): empty kernel in weight \(weight) (input \(input))")
        batch = input[0]
        inChannels = input[1]; inHeight = input[2]; inWidth = input[3]
        outChannels = weight[0]
        kernelHeight = weight[2]; kernelWidth = weight[3]
        strideY = stride.0; strideX = stride.1
        padTop = padding.top; padLeft = padding.left
        dilationY = dilation.0; dilationX = dilation.1
        self.groups = groups
        let spanY = inHeight + padding.top + padding.bottom - dilationY * (kernelHeight - 1) - 1
        let spanX = inWidth + padding.left + padding.right - dilationX * (kernelWidth - 1) - 1
        precondition(spanY >= 0 && spanX >= 0,
                     "\(op): output size <= 0 for input \(input), weight \(weight), padding \(padding), dilation \(dilation)")
        outHeight = spanY / strideY + 1
        outWidth = spanX / strideX + 1
    }

    /// The forward geometry behind a transposed convolution: `input` of the transposed op is the
    /// forward op's output, and the transposed op's output size is given explicitly.
    init(transposedInput input: [Int], weight: [Int], stride: (Int, Int), padding: Padding2D,
         outputPadding: (Int, Int), dilation: (Int, Int), groups: Int) {
        let op = "convTranspose2d"
        precondition(input.count == 4, "\(op): input \(input) is not [N, C, H, W] (weight \(weight))")
        precondition(weight.count == 4,
                     "\(op): weight \(weight) is not [Cin, Cout/groups, kH, kW] (input \(input))")
        precondition(groups >= 1 && weight[0] % groups == 0,
                     "\(op): groups \(groups) does not divide the input channels of weight \(weight) (input \(input))")
        precondition(input[1] == weight[0],
                     "\(op): input \(input) has \(input[1]) channels but weight \(weight) expects \(weight[0])")
        precondition(stride.0 >= 1 && stride.1 >= 1 && dilation.0 >= 1 && dilation.1 >= 1,
                     "\(op): stride \(stride) and dilation \(dilation) must be positive (input \(input), weight \(weight))")
        precondition(outputPadding.0 >= 0 && outputPadding.1 >= 0
                     && outputPadding.0 < stride.0 && outputPadding.1 < stride.1,
                     "\(op): output padding \(outputPadding) must be smaller than stride \(stride) (input \(input), weight \(weight))")
        let outH = (input[2] - 1) * stride.0 - padding.top - padding.bottom
            + dilation.0 * (weight[2] - 1) + outputPadding.0 + 1
        let outW = (input[3] - 1) * stride.1 - padding.left - padding.right
            + dilation.1 * (weight[3] - 1) + outputPadding.1 + 1
        precondition(outH > 0 && outW > 0,
                     "\(op): output size \(outH) x \(outW) <= 0 for input \(input), weight \(weight), padding \(padding)")
        self.init(op: op, input: [input[0], weight[1] * groups, outH, outW], weight: [weight[0], weight[1], weight[2], weight[3]],
                  stride: stride, padding: padding, dilation: dilation, groups: groups)
        precondition(outHeight == input[2] && outWidth == input[3],
                     "\(op): input \(input) and weight \(weight) give an inconsistent output size")
    }
}
