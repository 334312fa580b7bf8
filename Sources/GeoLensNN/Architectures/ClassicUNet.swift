public import GeoLensTensor

/// The classic U-Net (Ronneberger et al. 2015) with the module names of the widely used
/// milesial/Pytorch-UNet implementation (`inc.double_conv.0.weight`, `down1.maxpool_conv.1...`,
/// `up1.up.weight`, `outc.conv.weight`), generalized to any depth and base width.
/// Blocks are double 3x3 conv + BN + ReLU; down is max-pool 2; up is a 2x2 transposed convolution
/// (or bilinear upsampling with align_corners, halving channels as that implementation does);
/// the upsampled map is padded to the skip's size and concatenated after the skip.
public final class ClassicUNet: InputConvolutionModel {
    public let inChannels: Int
    public let classCount: Int
    public let depth: Int
    let inc: DoubleConv
    let downs: [Down]
    let ups: [Up]
    let outc: OutConv

    public init(inChannels: Int, classes: Int, baseChannels: Int = 64, depth: Int = 4, bilinear: Bool = false,
                generator: inout SeededGenerator) {
        precondition(depth >= 1 && baseChannels >= 1, "ClassicUNet: depth \(depth) and base channels \(baseChannels) must be positive")
        self.inChannels = inChannels
        self.classCount = classes
        self.depth = depth
        let factor = bilinear ? 2 : 1
        let width = (0...depth).map { baseChannels << $0 }
        inc = DoubleConv(inChannels, width[0], generator: &generator)
        var downs: [Down] = []
        for i in 1...depth {
            downs.append(Down(width[i - 1], i == depth ? width[i] / factor : width[i], generator: &generator))
        }
        var ups: [Up] = []
        for i in 1...depth {
            let level = depth - i
            ups.append(Up(width[level + 1], i == depth ? width[0] : width[level] / factor, bilinear: bilinear, generator: &generator))
        }
        self.downs = downs
        self.ups = ups
        outc = OutConv(width[0], classes, generator: &generator)
    }

    public var children: [(name: String, module: any Module)] {
        [("inc", inc)] + downs.enumerated().map { ("down\($0.offset + 1)", $0.element) }
            + ups.enumerated().map { ("up\($0.offset + 1)", $0.element) } + [("outc", outc)]
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        forward(afterInc: context.apply(inc, "inc", x), context: context)
    }

    public var inputConvolution: Conv2d { inc.doubleConv.layers[0] as! Conv2d }

    public func forward(afterInputConvolution y: Tensor, inputSize: (height: Int, width: Int),
                        context: ForwardContext) -> Tensor {
        var first = context.scoped("inc") {
            context.scoped("double_conv") {
                var y = y
                for (index, layer) in inc.doubleConv.layers.enumerated().dropFirst() { y = context.apply(layer, String(index), y) }
                return y
            }
        }
        context.recordIfCaptured(&first, path: "inc")
        return forward(afterInc: first, context: context)
    }

    /// The network after `inc`.
    func forward(afterInc first: Tensor, context: ForwardContext) -> Tensor {
        var skips = [first]
        for (i, down) in downs.enumerated() { skips.append(context.apply(down, "down\(i + 1)", skips[i])) }
        return Self.decode(skips, ups: ups, outc: outc, context: context)
    }

    /// The decoder of a U-Net (and of the Siamese U-Net's fused features): from the deepest of
    /// `skips` up through `ups` (`up1`, `up2`, ...), each merging the next shallower skip, then `outc`.
    static func decode(_ skips: [Tensor], ups: [Up], outc: OutConv, context: ForwardContext) -> Tensor {
        var skips = skips
        var y = skips.removeLast()
        for (i, up) in ups.enumerated() {
            let skip = skips.removeLast()
            y = context.scoped("up\(i + 1)") { up.merge(y, skip: skip, context: context) }
            context.recordIfCaptured(&y, path: "up\(i + 1)")
        }
        return context.apply(outc, "outc", y)
    }

    public var camLayers: [String] {
        ["inc"] + (1...depth).map { "down\($0)" } + (1...depth).map { "up\($0)" }
    }

    public var defaultCAMLayer: String { "down\(depth)" }
}

final class DoubleConv: Module {
    let doubleConv: Sequential

    init(_ inChannels: Int, _ outChannels: Int, mid: Int? = nil, generator: inout SeededGenerator) {
        let mid = mid ?? outChannels
        doubleConv = Sequential([
            Conv2d(inChannels, mid, kernel: 3, padding: 1, bias: false, generator: &generator), BatchNorm2d(mid), Activation(.relu),
            Conv2d(mid, outChannels, kernel: 3, padding: 1, bias: false, generator: &generator), BatchNorm2d(outChannels), Activation(.relu),
        ])
    }

    var children: [(name: String, module: any Module)] { [("double_conv", doubleConv)] }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor { context.apply(doubleConv, "double_conv", x) }
}

final class Down: Module {
    let maxpoolConv: Sequential

    init(_ inChannels: Int, _ outChannels: Int, generator: inout SeededGenerator) {
        maxpoolConv = Sequential([MaxPool2d(kernel: 2), DoubleConv(inChannels, outChannels, generator: &generator)])
    }

    var children: [(name: String, module: any Module)] { [("maxpool_conv", maxpoolConv)] }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor { context.apply(maxpoolConv, "maxpool_conv", x) }
}

final class Up: Module {
    let up: any Module
    let conv: DoubleConv

    init(_ inChannels: Int, _ outChannels: Int, bilinear: Bool, generator: inout SeededGenerator) {
        if bilinear {
            up = Upsample(scale: 2, bilinear: true, alignCorners: true)
            conv = DoubleConv(inChannels, outChannels, mid: inChannels / 2, generator: &generator)
        } else {
            up = ConvTranspose2d(inChannels, inChannels / 2, kernel: (2, 2), stride: (2, 2), generator: &generator)
            conv = DoubleConv(inChannels, outChannels, generator: &generator)
        }
    }

    var children: [(name: String, module: any Module)] { [("up", up), ("conv", conv)] }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        preconditionFailure("Up merges two inputs: call merge(_:skip:context:)")
    }

    func merge(_ x: Tensor, skip: Tensor, context: ForwardContext) -> Tensor {
        var y = context.apply(up, "up", x)
        let dy = skip.shape[2] - y.shape[2], dx = skip.shape[3] - y.shape[3]
        if dy != 0 || dx != 0 {
            y = y.padded(Padding2D(top: dy / 2, left: dx / 2, bottom: dy - dy / 2, right: dx - dx / 2))
        }
        return context.apply(conv, "conv", Tensor.concatenate([skip, y], alongAxis: 1))
    }
}

final class OutConv: Module {
    let conv: Conv2d

    init(_ inChannels: Int, _ outChannels: Int, generator: inout SeededGenerator) {
        conv = Conv2d(inChannels, outChannels, kernel: 1, generator: &generator)
    }

    var children: [(name: String, module: any Module)] { [("conv", conv)] }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor { context.apply(conv, "conv", x) }
}

/// `nn.Upsample` with an integer scale factor.
public final class Upsample: Module {
    public let scale: Int, bilinear: Bool, alignCorners: Bool

    public init(scale: Int, bilinear: Bool, alignCorners: Bool = false) {
        self.scale = scale; self.bilinear = bilinear; self.alignCorners = alignCorners
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        x.upsampled(height: x.shape[2] * scale, width: x.shape[3] * scale, bilinear: bilinear, alignCorners: alignCorners)
    }
}
