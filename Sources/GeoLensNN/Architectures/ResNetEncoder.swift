public import GeoLensTensor

/// torchvision's ResNet as segmentation_models_pytorch uses it for an encoder (`fc` and `avgpool`
/// removed): `conv1`, `bn1`, `maxpool`, `layer1`..`layer4`, with torchvision's block key names.
/// Returns the feature pyramid [x, stage1 (1/2), layer1 (1/4), layer2 (1/8), layer3 (1/16), layer4 (1/32)].
public final class ResNetEncoder: Module {
    public enum Variant: String, Sendable, CaseIterable {
        case resnet18, resnet34, resnet50

        var blocksPerLayer: [Int] {
            switch self {
            case .resnet18: [2, 2, 2, 2]
            case .resnet34, .resnet50: [3, 4, 6, 3]
            }
        }
        var usesBottleneck: Bool { self == .resnet50 }
        /// Channels of each returned feature after the input: smp's `out_channels[1...]`.
        var featureChannels: [Int] {
            usesBottleneck ? [64, 256, 512, 1024, 2048] : [64, 64, 128, 256, 512]
        }
    }

    public let variant: Variant
    public let depth: Int
    /// Channels of the stem (torchvision: 64); stage i has `width << i` planes.
    public let width: Int
    let conv1: Conv2d
    let bn1: BatchNorm2d
    let relu = Activation(.relu)
    let maxpool = MaxPool2d(kernel: 3, stride: 2, padding: 1)
    let layers: [Sequential]

    /// - Parameters:
    ///   - depth: number of downsampling stages used (1...5), as smp's `encoder_depth`.
    ///   - width: channels of the stem, 64 in torchvision; other values scale every stage.
    public init(_ variant: Variant, inChannels: Int, depth: Int = 5, width: Int = 64, generator: inout SeededGenerator) {
        precondition((1...5).contains(depth), "ResNetEncoder: depth \(depth) is outside 1...5")
        precondition(width >= 1, "ResNetEncoder: width \(width) must be positive")
        self.variant = variant
        self.depth = depth
        self.width = width
        conv1 = Conv2d(inChannels, width, kernel: 7, stride: 2, padding: 3, bias: false, generator: &generator)
        bn1 = BatchNorm2d(width)
        var inplanes = width
        var stages: [Sequential] = []
        for (index, count) in variant.blocksPerLayer.enumerated() where index + 2 <= depth {
            let planes = width << index
            let stride = index == 0 ? 1 : 2
            var blocks: [any Module] = []
            for b in 0..<count {
                let block: any Module
                if variant.usesBottleneck {
                    block = Bottleneck(inplanes, planes, stride: b == 0 ? stride : 1, generator: &generator)
                    inplanes = planes * 4
                } else {
                    block = BasicBlock(inplanes, planes, stride: b == 0 ? stride : 1, generator: &generator)
                    inplanes = planes
                }
                blocks.append(block)
            }
            stages.append(Sequential(blocks))
        }
        layers = stages
    }

    /// Channels of the returned features, input first (smp's `encoder.out_channels`).
    public func outChannels(inChannels: Int) -> [Int] {
        [inChannels] + Array(variant.featureChannels.prefix(depth).map { $0 * width / 64 })
    }

    public var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("relu", relu), ("maxpool", maxpool)]
            + layers.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        features(x, context: context).last!
    }

    /// The feature pyramid of smp's `ResNetEncoder.forward`.
    public func features(_ x: Tensor, context: ForwardContext) -> [Tensor] {
        [x] + features(afterConv1: context.apply(conv1, "conv1", x), context: context)
    }

    /// The pyramid after the input ([stage1, layer1, ...]) from `conv1`'s output.
    func features(afterConv1 conv: Tensor, context: ForwardContext) -> [Tensor] {
        var features: [Tensor] = []
        var y = context.apply(bn1, "bn1", conv)
        y = context.apply(relu, "relu", y)
        features.append(y)
        for (index, layer) in layers.enumerated() {
            if index == 0 { y = context.apply(maxpool, "maxpool", y) }
            y = context.apply(layer, "layer\(index + 1)", y)
            features.append(y)
        }
        return features
    }
}

/// torchvision `BasicBlock`: two 3x3 convolutions with a residual connection.
final class BasicBlock: Module {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    let relu = Activation(.relu)
    let downsample: Sequential?

    init(_ inplanes: Int, _ planes: Int, stride: Int, generator: inout SeededGenerator) {
        conv1 = Conv2d(inplanes, planes, kernel: 3, stride: stride, padding: 1, bias: false, generator: &generator)
        bn1 = BatchNorm2d(planes)
        conv2 = Conv2d(planes, planes, kernel: 3, padding: 1, bias: false, generator: &generator)
        bn2 = BatchNorm2d(planes)
        downsample = stride != 1 || inplanes != planes
            ? Sequential([Conv2d(inplanes, planes, kernel: 1, stride: stride, bias: false, generator: &generator),
                          BatchNorm2d(planes)])
            : nil
    }

    var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("relu", relu), ("conv2", conv2), ("bn2", bn2)]
            + (downsample.map { [("downsample", $0)] } ?? [])
    }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        var out = conv1.fusedReLU(x, batchNorm: bn1, context: context)
            ?? context.apply(relu, "relu", context.apply(bn1, "bn1", context.apply(conv1, "conv1", x)))
        out = context.apply(bn2, "bn2", context.apply(conv2, "conv2", out))
        let identity = downsample.map { context.apply($0, "downsample", x) } ?? x
        return (out + identity).relu()
    }
}

/// torchvision `Bottleneck` (ResNet v1.5: the stride sits on the 3x3 convolution).
final class Bottleneck: Module {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let relu = Activation(.relu)
    let downsample: Sequential?

    init(_ inplanes: Int, _ planes: Int, stride: Int, generator: inout SeededGenerator) {
        conv1 = Conv2d(inplanes, planes, kernel: 1, bias: false, generator: &generator)
        bn1 = BatchNorm2d(planes)
        conv2 = Conv2d(planes, planes, kernel: 3, stride: stride, padding: 1, bias: false, generator: &generator)
        bn2 = BatchNorm2d(planes)
        conv3 = Conv2d(planes, planes * 4, kernel: 1, bias: false, generator: &generator)
        bn3 = BatchNorm2d(planes * 4)
        downsample = stride != 1 || inplanes != planes * 4
            ? Sequential([Conv2d(inplanes, planes * 4, kernel: 1, stride: stride, bias: false, generator: &generator),
                          BatchNorm2d(planes * 4)])
            : nil
    }

    var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3),
         ("relu", relu)] + (downsample.map { [("downsample", $0)] } ?? [])
    }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        var out = conv1.fusedReLU(x, batchNorm: bn1, context: context)
            ?? context.apply(relu, "relu", context.apply(bn1, "bn1", context.apply(conv1, "conv1", x)))
        out = conv2.fusedReLU(out, batchNorm: bn2, context: context)
            ?? context.apply(relu, "relu", context.apply(bn2, "bn2", context.apply(conv2, "conv2", out)))
        out = context.apply(bn3, "bn3", context.apply(conv3, "conv3", out))
        let identity = downsample.map { context.apply($0, "downsample", x) } ?? x
        return (out + identity).relu()
    }
}
