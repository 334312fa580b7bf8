public import GeoLensTensor

/// `torch.nn.Linear`: `weight` [out, in], optional `bias` [out]; `y = x W^T + b` over the last axis.
public final class Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?

    /// Initialized as PyTorch does (uniform in +-1/sqrt(in) for weight and bias).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: inout SeededGenerator) {
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = Parameter(.randomUniform(shape: [outFeatures, inFeatures], low: -bound, high: bound, using: &generator))
        self.bias = bias ? Parameter(.randomUniform(shape: [outFeatures], low: -bound, high: bound, using: &generator)) : nil
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        x.linear(weight: weight.value, bias: bias?.value)
    }
}
