/// An activation a convolution can apply in its store pass.
public enum ConvolutionActivation: Sendable, Equatable {
    case relu
    /// x * sigmoid(x) (swish).
    case silu
    case sigmoid
}

/// Convolution followed by an activation in one pass, for graph executors that fuse `Conv` +
/// `Relu` / `Sigmoid` / swish (`Mul(x, Sigmoid(x))`).
extension Tensor {
    /// `activation(conv2d(...))` with the activation applied in the convolution's store pass, while
    /// the block is in cache. Same arguments, shapes and gradients as `conv2d` followed by the
    /// activation; when the tape records, SiLU and sigmoid run as a separate op (their derivatives
    /// need the pre-activation).
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: (Int, Int) = (1, 1),
                       padding: Padding2D = .zero, dilation: (Int, Int) = (1, 1), groups: Int = 1,
                       activation: ConvolutionActivation) -> Tensor {
        let geometry = ConvGeometry(op: "conv2d", input: shape, weight: weight.shape, stride: stride,
                                    padding: padding, dilation: dilation, groups: groups)
        let fused: ConvEpilogue.Activation = switch activation {
        case .relu: .relu
        case .silu: .silu
        case .sigmoid: .sigmoid
        }
        return convolved(weight: weight, bias: bias, geometry: geometry, activation: fused)
    }
}
