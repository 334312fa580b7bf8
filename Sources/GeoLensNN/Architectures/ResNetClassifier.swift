public import GeoLensTensor

/// torchvision's `resnet18`, `resnet34` and `resnet50` as tile classifiers, with torchvision's
/// `state_dict` names (`conv1`, `bn1`, `layer1`..`layer4`, `fc`), so the weights of a torchvision
/// model trained elsewhere load as they are. `conv1` takes the card's `in_channels` (torchvision's
/// 3-band stem widened, as multispectral fine-tuning replaces it), and `fc` has one output per
/// class. Outputs `[N, classes]` logits: the card's task must be `classification` or `multilabel`.
/// `width` (architecture option, default torchvision's 64) scales every stage's channels, for small
/// chips and fast experiments; only 64 gives torchvision's shapes.
public final class ResNetClassifier: SegmentationModel {
    /// The convolutional trunk (the same blocks as the smp U-Net encoder), run without a name
    /// prefix so its modules keep torchvision's top-level names.
    let trunk: ResNetEncoder
    let avgpool = AdaptiveAvgPool2d()
    public let fc: Linear
    public let inChannels: Int
    public let classCount: Int

    public var variant: ResNetEncoder.Variant { trunk.variant }

    public init(_ variant: ResNetEncoder.Variant, inChannels: Int, classes: Int, width: Int = 64, generator: inout SeededGenerator) {
        self.inChannels = inChannels
        self.classCount = classes
        trunk = ResNetEncoder(variant, inChannels: inChannels, depth: 5, width: width, generator: &generator)
        fc = Linear(trunk.outChannels(inChannels: inChannels).last!, classes, generator: &generator)
    }

    public var children: [(name: String, module: any Module)] {
        trunk.children + [("avgpool", avgpool), ("fc", fc)]
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        let features = trunk.features(x, context: context).last!
        let pooled = context.apply(avgpool, "avgpool", features)
        return context.apply(fc, "fc", pooled.flattened(from: 1))
    }

    public var outputLayout: ModelOutputLayout { .tileScores }
    public var camLayers: [String] { ["layer1", "layer2", "layer3", "layer4"] }
    /// The last spatial feature map, as pytorch-grad-cam's examples use for ResNets.
    public var defaultCAMLayer: String { "layer4" }
}

extension ResNetClassifier: ConvolutionBatchNormPairs {
    public var convolutionBatchNormPairs: [(Conv2d, BatchNorm2d)] { trunk.convolutionBatchNormPairs }
}

/// `nn.AdaptiveAvgPool2d((1, 1))`: the mean over each channel's plane, `[N, C, 1, 1]`.
public final class AdaptiveAvgPool2d: Module {
    public init() {}
    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        x.mean(alongAxes: [2, 3], keepingDimensions: true)
    }
}
