public import GeoLensTensor

/// segmentation_models_pytorch `Unet` with a ResNet encoder (smp 0.3-0.6 key names:
/// `encoder.*`, `decoder.blocks.N.conv1.0.weight`, `segmentation_head.0.weight`, ...),
/// batch-norm decoder, nearest upsampling, no attention, no auxiliary head.
public final class SMPUnet: InputConvolutionModel {
    public let encoder: ResNetEncoder
    let decoder: UnetDecoder
    let segmentationHead: Sequential
    public let inChannels: Int
    public let classCount: Int

    public init(encoder variant: ResNetEncoder.Variant, inChannels: Int, classes: Int, depth: Int = 5,
                decoderChannels: [Int] = [256, 128, 64, 32, 16], generator: inout SeededGenerator) {
        precondition(decoderChannels.count == depth,
                     "SMPUnet: \(decoderChannels.count) decoder channels given for encoder depth \(depth)")
        self.inChannels = inChannels
        self.classCount = classes
        encoder = ResNetEncoder(variant, inChannels: inChannels, depth: depth, generator: &generator)
        decoder = UnetDecoder(encoderChannels: encoder.outChannels(inChannels: inChannels),
                              decoderChannels: decoderChannels, generator: &generator)
        segmentationHead = Sequential([
            Conv2d(decoderChannels.last!, classes, kernel: 3, padding: 1, generator: &generator),
            Identity(), Identity(),
        ])
    }

    public var children: [(name: String, module: any Module)] {
        [("encoder", encoder), ("decoder", decoder), ("segmentation_head", segmentationHead)]
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        let features = context.scoped("encoder") { encoder.features(x, context: context) }
        let decoded = context.scoped("decoder") { decoder.decode(features, context: context) }
        return context.apply(segmentationHead, "segmentation_head", decoded)
    }

    public var inputConvolution: Conv2d { encoder.conv1 }

    public func forward(afterInputConvolution y: Tensor, inputSize: (height: Int, width: Int),
                        context: ForwardContext) -> Tensor {
        let features = context.scoped("encoder") { encoder.features(afterConv1: y, context: context) }
        let decoded = context.scoped("decoder") { decoder.decode(features, inputSize: inputSize, context: context) }
        return context.apply(segmentationHead, "segmentation_head", decoded)
    }

    public var camLayers: [String] {
        ["encoder.layer1", "encoder.layer2", "encoder.layer3", "encoder.layer4"].prefix(encoder.depth - 1)
            + (0..<decoder.blocks.layers.count).map { "decoder.blocks.\($0)" }
    }

    public var defaultCAMLayer: String { camLayers[encoder.depth - 2] }

    public var ignoredCheckpointKeyPrefixes: [String] {
        (encoder.depth..<5).map { "encoder.layer\($0)." } + ["encoder.fc."]
    }
}

/// smp `UnetDecoder`: upsample to the next skip's size (nearest), concatenate the skip, two conv-BN-ReLU.
final class UnetDecoder: Module {
    let center = Identity()
    let blocks: ModuleList

    init(encoderChannels: [Int], decoderChannels: [Int], generator: inout SeededGenerator) {
        let reversed = Array(encoderChannels.dropFirst().reversed())
        let inChannels = [reversed[0]] + decoderChannels.dropLast()
        let skipChannels = Array(reversed.dropFirst()) + [0]
        var blocks: [any Module] = []
        for i in decoderChannels.indices {
            blocks.append(UnetDecoderBlock(inChannels[i], skip: skipChannels[i], out: decoderChannels[i], generator: &generator))
        }
        self.blocks = ModuleList(blocks)
    }

    var children: [(name: String, module: any Module)] { [("center", center), ("blocks", blocks)] }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        preconditionFailure("UnetDecoder runs on a feature pyramid: call decode(_:context:)")
    }

    /// Decodes the encoder's pyramid [x, stage1, ...] (x only gives the output size).
    func decode(_ features: [Tensor], context: ForwardContext) -> Tensor {
        decode(Array(features.dropFirst()), inputSize: (features[0].shape[2], features[0].shape[3]), context: context)
    }

    /// Decodes the pyramid after the input ([stage1, layer1, ...]) to `inputSize`.
    func decode(_ features: [Tensor], inputSize: (height: Int, width: Int), context: ForwardContext) -> Tensor {
        let sizes = features.reversed().map { ($0.shape[2], $0.shape[3]) } + [(inputSize.height, inputSize.width)]
        let pyramid = Array(features.reversed())
        var x = context.apply(center, "center", pyramid[0])
        context.scoped("blocks") {
            for (i, block) in blocks.layers.enumerated() {
                let block = block as! UnetDecoderBlock
                let skip = i + 1 < pyramid.count ? pyramid[i + 1] : nil
                x = context.scoped(String(i)) {
                    block.decode(x, height: sizes[i + 1].0, width: sizes[i + 1].1, skip: skip, context: context)
                }
                context.recordIfCaptured(&x, path: "decoder.blocks.\(i)")
            }
        }
        return x
    }
}

final class UnetDecoderBlock: Module {
    let conv1: Sequential, conv2: Sequential
    let attention1 = Identity(), attention2 = Identity()

    init(_ inChannels: Int, skip: Int, out: Int, generator: inout SeededGenerator) {
        conv1 = ConvBNReLU(inChannels + skip, out, generator: &generator)
        conv2 = ConvBNReLU(out, out, generator: &generator)
    }

    var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("attention1", attention1), ("conv2", conv2), ("attention2", attention2)]
    }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        preconditionFailure("UnetDecoderBlock needs the target size and skip: call decode(...)")
    }

    func decode(_ x: Tensor, height: Int, width: Int, skip: Tensor?, context: ForwardContext) -> Tensor {
        var y = x.resized(height: height, width: width, mode: .nearest(.floor), coordinates: .asymmetric)
        if let skip { y = Tensor.concatenate([y, skip], alongAxis: 1) }
        y = context.apply(conv1, "conv1", y)
        y = context.apply(conv2, "conv2", y)
        return y
    }
}

/// smp `Conv2dReLU` with batch norm: Sequential(conv without bias, BatchNorm2d, ReLU).
func ConvBNReLU(_ inChannels: Int, _ outChannels: Int, generator: inout SeededGenerator) -> Sequential {
    Sequential([Conv2d(inChannels, outChannels, kernel: 3, padding: 1, bias: false, generator: &generator),
                BatchNorm2d(outChannels), Activation(.relu)])
}

/// `nn.ModuleList`: a named container whose owner decides how to run its children.
public final class ModuleList: Module {
    public let layers: [any Module]
    public init(_ layers: [any Module]) { self.layers = layers }
    public var children: [(name: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }
    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        preconditionFailure("ModuleList has no forward of its own")
    }
}
