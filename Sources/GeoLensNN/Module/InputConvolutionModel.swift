public import GeoLensTensor

/// A model whose input goes through exactly one convolution before anything else reads it (the
/// stem: ResNet's `conv1`, U-Net's first 3x3 convolution). That convolution is linear in the
/// input, so an explainer that feeds many mixtures of the same two images (Shapley coalitions)
/// can compute its output once per feature and sum, then run the rest of the network from there.
public protocol InputConvolutionModel: SegmentationModel {
    /// The convolution that reads the input.
    var inputConvolution: Conv2d { get }
    /// The evaluation-mode forward pass from the input convolution's output (`inputConvolution`
    /// applied with its bias, as `forward` would) to the scores. `inputSize` is the height and
    /// width of the image the output came from.
    func forward(afterInputConvolution y: Tensor, inputSize: (height: Int, width: Int), context: ForwardContext) -> Tensor
}

extension InputConvolutionModel {
    /// `forward(afterInputConvolution:...)` without a tape, the batch split into whole images
    /// across threads as `inferenceForward` does; bit-identical to the unsplit pass.
    public func inferenceForward(afterInputConvolution y: Tensor, inputSize: (height: Int, width: Int)) -> Tensor {
        GradientMode.withoutRecording {
            let parts = Parallel.sliceBatch(y.shape[0]) { range in
                GradientMode.withoutRecording {
                    forward(afterInputConvolution: y.slice(alongAxis: 0, start: range.lowerBound, end: range.upperBound),
                            inputSize: inputSize, context: ForwardContext(mode: .evaluation))
                }
            }
            guard let parts else {
                return forward(afterInputConvolution: y, inputSize: inputSize, context: ForwardContext(mode: .evaluation))
            }
            return Tensor.concatenate(parts, alongAxis: 0)
        }
    }
}
