/// Modules that know which of their convolutions feed a batch norm directly (and only it).
public protocol ConvolutionBatchNormPairs {
    var convolutionBatchNormPairs: [(Conv2d, BatchNorm2d)] { get }
}

extension Sequential: ConvolutionBatchNormPairs {
    /// Adjacent (Conv2d, BatchNorm2d) layers: in a Sequential the convolution's only consumer is the next layer.
    public var convolutionBatchNormPairs: [(Conv2d, BatchNorm2d)] {
        zip(layers, layers.dropFirst()).compactMap { a, b in
            guard let conv = a as? Conv2d, let bn = b as? BatchNorm2d else { return nil }
            return (conv, bn)
        }
    }
}

extension ResNetEncoder: ConvolutionBatchNormPairs {
    public var convolutionBatchNormPairs: [(Conv2d, BatchNorm2d)] { [(conv1, bn1)] }
}

extension BasicBlock: ConvolutionBatchNormPairs {
    var convolutionBatchNormPairs: [(Conv2d, BatchNorm2d)] { [(conv1, bn1), (conv2, bn2)] }
}

extension Bottleneck: ConvolutionBatchNormPairs {
    var convolutionBatchNormPairs: [(Conv2d, BatchNorm2d)] { [(conv1, bn1), (conv2, bn2), (conv3, bn3)] }
}

extension Module {
    /// Folds every batch norm that directly follows a convolution into it, for inference
    /// (one pass over the output instead of two). Call again after changing parameters;
    /// training passes ignore the fold. Returns the number of folded pairs.
    @discardableResult
    public func foldBatchNorms() -> Int {
        var count = 0
        for (_, module) in namedModules() {
            guard let owner = module as? any ConvolutionBatchNormPairs else { continue }
            for (conv, bn) in owner.convolutionBatchNormPairs {
                conv.foldBatchNorm(bn)
                count += 1
            }
        }
        return count
    }
}
