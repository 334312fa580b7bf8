public import GeoLensTensor

/// A parameter-free activation (`nn.ReLU`, `nn.SiLU`, ...).
public final class Activation: Module {
    public enum Kind: String, Sendable, CaseIterable {
        case relu, relu6, sigmoid, tanh, silu, gelu, hardSigmoid, hardSwish, leakyRelu
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        switch kind {
        case .relu: x.relu()
        case .relu6: x.clipped(min: 0, max: 6)
        case .sigmoid: x.sigmoid()
        case .tanh: x.tanh()
        case .silu: x.silu()
        case .gelu: x.gelu()
        case .hardSigmoid: x.hardSigmoid()
        case .hardSwish: x.hardSwish()
        case .leakyRelu: x.leakyRelu()
        }
    }
}

/// `nn.Identity`.
public final class Identity: Module {
    public init() {}
    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor { x }
}

/// `nn.MaxPool2d`.
public final class MaxPool2d: Module {
    public let kernel: (Int, Int), stride: (Int, Int), padding: Padding2D, ceilMode: Bool

    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false) {
        self.kernel = (kernel, kernel)
        self.stride = (stride ?? kernel, stride ?? kernel)
        self.padding = Padding2D(padding)
        self.ceilMode = ceilMode
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        x.maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }
}

/// `nn.Dropout` / `nn.Dropout2d`: active in training and in MC-dropout mode.
public final class Dropout: Module {
    public let probability: Float
    public let channelwise: Bool

    public init(probability: Float, channelwise: Bool = false) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability \(probability) is outside [0, 1)")
        self.probability = probability
        self.channelwise = channelwise
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        channelwise
            ? x.dropout2d(probability: probability, isActive: context.dropoutActive, using: &context.generator)
            : x.dropout(probability: probability, isActive: context.dropoutActive, using: &context.generator)
    }
}

/// `nn.Sequential`: children named "0", "1", ... run in order.
public final class Sequential: Module {
    public let layers: [any Module]

    public init(_ layers: [any Module]) { self.layers = layers }

    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    /// Runs the layers in order. In evaluation passes without captures, a convolution, the batch
    /// norm folded into it and a ReLU run as one fused convolution (`Conv2d.fusedReLU`).
    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        var y = x
        var index = 0
        while index < layers.count {
            if index + 2 < layers.count, let conv = layers[index] as? Conv2d, let bn = layers[index + 1] as? BatchNorm2d,
               (layers[index + 2] as? Activation)?.kind == .relu, let fused = conv.fusedReLU(y, batchNorm: bn, context: context) {
                y = fused
                index += 3
                continue
            }
            y = context.apply(layers[index], String(index), y)
            index += 1
        }
        return y
    }
}
