/// 2-D transposed convolution (PyTorch `F.conv_transpose2d` / ONNX `ConvTranspose`) with gradients.
///
/// A transposed convolution is the input gradient of the forward convolution it mirrors, so it
/// runs on the same kernels: forward is `col2im(W^T x)`, its input gradient is that convolution's
/// forward pass, and its weight gradient is the convolution's weight gradient with the activations
/// swapped.
extension Tensor {
    /// Transposed convolution of `self` (`[N, Cin, H, W]`) with `weight` (`[Cin, Cout/groups, kH, kW]`,
    /// PyTorch `ConvTranspose2d` layout), plus `bias` (`[Cout]`). The output height is
    /// `(H - 1) * stride.0 - top - bottom + dilation.0 * (kH - 1) + outputPadding.0 + 1` (likewise
    /// for the width), as PyTorch and ONNX; `outputPadding` must be smaller than the stride.
    public func convTranspose2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                                padding: Padding2D = .zero, outputPadding: (Int, Int) = (0, 0),
                                dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        // `g` describes the mirrored forward convolution: its input is this op's output.
        let g = ConvGeometry(transposedInput: shape, weight: weight.shape, stride: stride, padding: padding,
                             outputPadding: outputPadding, dilation: dilation, groups: groups)
        if let bias {
            precondition(bias.shape == [g.inChannels],
                         "convTranspose2d: bias \(bias.shape) does not match weight \(weight.shape) ([\(g.inChannels)] expected; input \(shape))")
        }
        let y = ConvGradientKernels.inputGradient(outputGradient: self, weight: weight, geometry: g,
                                                  epilogue: ConvEpilogue(bias: bias?.detached()))
        let x = detached(), w = weight.detached()
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return Tape.record(y, op: "convTranspose2d", inputs: inputs) { gy, needs in
            var grads: [Tensor?] = [
                needs[0] ? ConvForwardKernel.run(input: gy, weight: w, geometry: g, epilogue: .none) : nil,
                needs[1] ? ConvGradientKernels.weightGradient(input: gy, outputGradient: x, geometry: g) : nil,
            ]
            if needs.count > 2 { grads.append(needs[2] ? ConvGradientKernels.biasGradient(outputGradient: gy) : nil) }
            return grads
        }
    }
}
