public import GeoLensTensor

/// `torch.nn.Conv2d`: parameters `weight` [out, in/groups, kH, kW] and optional `bias` [out].
public final class Conv2d: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int)
    public let padding: Padding2D
    public let dilation: (Int, Int)
    public let groups: Int

    /// A convolution initialized as PyTorch does (uniform in +-1/sqrt(fan_in) for weight and bias).
    public init(_ inChannels: Int, _ outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: Padding2D = .zero, dilation: (Int, Int) = (1, 1), groups: Int = 1,
                bias: Bool = true, generator: inout SeededGenerator) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: groups \(groups) must divide in (\(inChannels)) and out (\(outChannels)) channels")
        let fanIn = inChannels / groups * kernel.0 * kernel.1
        let bound = 1 / Float(fanIn).squareRoot()
        self.weight = Parameter(.randomUniform(shape: [outChannels, inChannels / groups, kernel.0, kernel.1],
                                               low: -bound, high: bound, using: &generator))
        self.bias = bias ? Parameter(.randomUniform(shape: [outChannels], low: -bound, high: bound, using: &generator)) : nil
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }

    /// Square kernel with PyTorch's symmetric integer padding.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true, generator: inout SeededGenerator) {
        self.init(inChannels, outChannels, kernel: (kernel, kernel), stride: (stride, stride), padding: Padding2D(padding),
                  dilation: (dilation, dilation), groups: groups, bias: bias, generator: &generator)
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public var outChannels: Int { weight.shape[0] }
    public var inChannels: Int { weight.shape[1] * groups }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        x.conv2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                 dilation: dilation, groups: groups)
    }
}

/// `torch.nn.ConvTranspose2d`: `weight` [in, out/groups, kH, kW], optional `bias` [out].
public final class ConvTranspose2d: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int)
    public let padding: Padding2D
    public let outputPadding: (Int, Int)
    public let dilation: (Int, Int)
    public let groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: Padding2D = .zero, outputPadding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1),
                groups: Int = 1, bias: Bool = true, generator: inout SeededGenerator) {
        // PyTorch computes fan_in from weight dim 1 (out/groups) * kernel for transposed convolutions.
        let fanIn = outChannels / groups * kernel.0 * kernel.1
        let bound = 1 / Float(fanIn).squareRoot()
        self.weight = Parameter(.randomUniform(shape: [inChannels, outChannels / groups, kernel.0, kernel.1],
                                               low: -bound, high: bound, using: &generator))
        self.bias = bias ? Parameter(.randomUniform(shape: [outChannels], low: -bound, high: bound, using: &generator)) : nil
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilation = dilation
        self.groups = groups
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        x.convTranspose2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                          outputPadding: outputPadding, dilation: dilation, groups: groups)
    }
}
