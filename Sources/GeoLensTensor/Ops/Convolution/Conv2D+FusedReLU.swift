/// Convolution followed by ReLU in one pass, for graph executors that fuse `Conv` + `Relu`.
extension Tensor {
    /// `relu(conv2d(...))` with the ReLU applied in the convolution's store pass (no second sweep
    /// over the output). Same arguments, shapes and gradients as `conv2d`.
    public func conv2dReLU(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                           padding: Padding2D = .zero, dilation: (Int, Int) = (1, 1), groups: Int = 1) -> Tensor {
        let geometry = ConvGeometry(op: "conv2dReLU", input: shape, weight: weight.shape, stride: stride,
                                    padding: padding, dilation: dilation, groups: groups)
        return convolved(weight: weight, bias: bias, geometry: geometry, activation: .relu)
    }
}
