public import GeoLensTensor

/// `torch.nn.Conv2d`: parameters `weight` [out, in/groups, kH, kW] and optional `bias` [out].
///
/// For inference a following batch norm can be folded into the convolution
/// (`foldBatchNorm(_:)`): evaluation-mode passes then use the folded weight and bias and the
/// batch norm passes its input through. Training passes always use the original parameters.
public final class Conv2d: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: (Int, Int)
    public let padding: Padding2D
    public let dilation: (Int, Int)
    public let groups: Int
    private let folded = Locked<(weight: Tensor, bias: Tensor)?>(nil)

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

    /// The evaluation-mode convolution of `x` (folded batch norm included), with or without the
    /// bias: `forward` in evaluation mode when `bias` is true.
    public func evaluationForward(_ x: Tensor, bias includeBias: Bool = true) -> Tensor {
        let (w, b) = folded.withLock({ $0 }).map { ($0.weight, Optional($0.bias)) } ?? (weight.value, bias?.value)
        return x.conv2d(weight: w, bias: includeBias ? b : nil, stride: stride, padding: padding,
                        dilation: dilation, groups: groups)
    }

    /// Convolution, folded batch norm and ReLU as one pass (the ReLU applied as the output is
    /// stored): the same values as running the three modules, without the separate ReLU pass and
    /// its tensor. Nil unless this is an evaluation pass without captures and `batchNorm` is folded
    /// into this convolution.
    func fusedReLU(_ x: Tensor, batchNorm: BatchNorm2d, context: ForwardContext) -> Tensor? {
        guard !context.isTraining, context.captures.isEmpty, batchNorm.isFolded, let fold = folded.withLock({ $0 }) else { return nil }
        return x.conv2d(weight: fold.weight, bias: fold.bias, stride: stride, padding: padding, dilation: dilation,
                        groups: groups, activation: .relu)
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        if !context.isTraining, let fold = folded.withLock({ $0 }) {
            return x.conv2d(weight: fold.weight, bias: fold.bias, stride: stride, padding: padding,
                            dilation: dilation, groups: groups)
        }
        return x.conv2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                        dilation: dilation, groups: groups)
    }

    /// Folds `batchNorm`'s evaluation-mode affine map into this convolution's weight and bias:
    /// w' = w * gamma / sqrt(var + eps) per output channel, b' = (b - mean) * gamma / sqrt(var + eps) + beta.
    public func foldBatchNorm(_ batchNorm: BatchNorm2d) {
        let (scale, shift) = batchNorm.evaluationAffine
        precondition(scale.count == outChannels,
                     "Conv2d.foldBatchNorm: batch norm of \(scale.count) channels after a convolution with \(outChannels) outputs")
        let perChannel = weight.value.count / outChannels
        let w = weight.value.detached().withUnsafeBufferPointer { src in
            Tensor(shape: weight.shape) { out in
                for o in 0..<outChannels {
                    for i in 0..<perChannel { out[o * perChannel + i] = src[o * perChannel + i] * scale[o] }
                }
            }
        }
        let b0 = bias?.value.scalars ?? [Float](repeating: 0, count: outChannels)
        let b = Tensor(shape: [outChannels], scalars: (0..<outChannels).map { b0[$0] * scale[$0] + shift[$0] })
        folded.withLock { $0 = (w, b) }
        batchNorm.markFolded(true)
    }

    /// Drops a folded batch norm (after the parameters change).
    public func unfoldBatchNorm(_ batchNorm: BatchNorm2d) {
        folded.withLock { $0 = nil }
        batchNorm.markFolded(false)
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
