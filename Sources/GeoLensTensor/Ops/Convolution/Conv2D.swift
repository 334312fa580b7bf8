/// 2-D convolution (PyTorch `F.conv2d` semantics, asymmetric padding allowed) with gradients.
extension Tensor {
    /// Cross-correlates `self` (`[N, Cin, H, W]`) with `weight` (`[Cout, Cin/groups, kH, kW]`, PyTorch
    /// layout) and adds `bias` (`[Cout]`). The output is `[N, Cout, Hout, Wout]` with
    /// `Hout = (H + top + bottom - dilation.0 * (kH - 1) - 1) / stride.0 + 1` (likewise for the width).
    ///
    /// Gradients flow to the input, the weight and the bias. Runs as packed GEMMs (im2col per block
    /// of output rows, none for 1x1 stride-1 convolutions, one GEMM per group), or as a direct SIMD
    /// kernel for depthwise convolutions (`groups == Cin`).
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                       padding: Padding2D = .zero, dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        let geometry = ConvGeometry(op: "conv2d", input: shape, weight: weight.shape, stride: stride,
                                    padding: padding, dilation: dilation, groups: groups)
        return convolved(weight: weight, bias: bias, geometry: geometry, activation: .identity)
    }

    /// The convolution with a fused epilogue: `activation(conv(x, w) + b)` in one pass over the
    /// output. The entry point for fused layers; `conv2d` is its identity case.
    func convolved(weight: Tensor, bias: Tensor?, geometry g: ConvGeometry, activation: ConvEpilogue.Activation) -> Tensor {
        if let bias {
            precondition(bias.shape == [g.outChannels],
                         "conv2d: bias \(bias.shape) does not match weight \(weight.shape) ([\(g.outChannels)] expected; input \(shape))")
        }
        let recording = willRecord || weight.willRecord || (bias?.willRecord ?? false)
        if recording, activation == .silu || activation == .sigmoid || activation == .relu && GradientMode.rescaleRuleEpsilon != nil {
            // Their derivatives need the pre-activation, which the fused pass never stores (the
            // rescale rule's ReLU too): on the tape, run the convolution and the activation as two recorded ops.
            let z = convolved(weight: weight, bias: bias, geometry: g, activation: .identity)
            return activation == .silu ? z.silu() : activation == .sigmoid ? z.sigmoid() : z.relu()
        }
        let epilogue = ConvEpilogue(bias: bias?.detached(), activation: activation)
        let y = !recording && SinglePixelConvKernel.applies(to: g)
            ? SinglePixelConvKernel.run(input: self, weight: weight, geometry: g, epilogue: epilogue)
            : ConvForwardKernel.run(input: self, weight: weight, geometry: g, epilogue: epilogue,
                                    allowWinograd: !recording && ConvForwardKernel.winogradEnabled,
                                    winogradTile: ConvForwardKernel.inferenceWinogradTile)
        let x = detached(), w = weight.detached(), output = y.detached()
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return Tape.record(y, op: activation == .relu ? "conv2d_relu" : "conv2d", inputs: inputs) { gy, needs in
            let dy = activation == .relu ? gy.zipScalars(output) { $1 > 0 ? $0 : 0 } : gy
            var grads: [Tensor?] = [
                needs[0] ? ConvGradientKernels.inputGradient(outputGradient: dy, weight: w, geometry: g) : nil,
                needs[1] ? ConvGradientKernels.weightGradient(input: x, outputGradient: dy, geometry: g) : nil,
            ]
            if needs.count > 2 { grads.append(needs[2] ? ConvGradientKernels.biasGradient(outputGradient: dy) : nil) }
            return grads
        }
    }
}
