public import GeoLensTensor

/// A Siamese U-Net for change detection: one U-Net encoder, shared by the two acquisitions,
/// whose features at every level are fused, by absolute difference (`absdiff`, FC-Siam-diff of
/// Daudt et al. 2018) or by concatenation (`concat`, FC-Siam-conc), and decoded once into change
/// classes (e.g. `no-change`, `change`).
///
/// The input is the two dates stacked along channels, `[N, 2k, H, W]`: date 1 in channels
/// `0..<k`, date 2 in `k..<2k` (a card's `inputs` `t1` and `t2`, or `bands` 1-8 of a two-date
/// raster). Module names follow `ClassicUNet` (`inc`, `down1`, ..., `up1`, ..., `outc`), so the
/// encoder's weights have one name for both dates; the decoder's widths double with `concat`.
public final class SiameseUNet: MultiInputModel {
    public enum Fusion: String, Sendable, CaseIterable {
        case absdiff, concat
    }

    public let inChannels: Int
    public let classCount: Int
    public let depth: Int
    public let fusion: Fusion
    /// The two inputs: date 1 and date 2, `k` channels each.
    public let inputLayout: ModelInputLayout
    let inc: DoubleConv
    let downs: [Down]
    let ups: [Up]
    let outc: OutConv

    public init(inChannels: Int, classes: Int, baseChannels: Int = 64, depth: Int = 4, bilinear: Bool = false,
                fusion: Fusion = .absdiff, inputNames: (String, String) = ("t1", "t2"), generator: inout SeededGenerator) {
        precondition(depth >= 1 && baseChannels >= 1, "SiameseUNet: depth \(depth) and base channels \(baseChannels) must be positive")
        precondition(inChannels >= 2 && inChannels % 2 == 0, "SiameseUNet: \(inChannels) input channels do not split into two dates")
        self.inChannels = inChannels
        self.classCount = classes
        self.depth = depth
        self.fusion = fusion
        let k = inChannels / 2
        inputLayout = ModelInputLayout([ModelInput(name: inputNames.0, source: ModelInput.imagesSource, bands: Array(1...k)),
                                        ModelInput(name: inputNames.1, source: ModelInput.imagesSource, bands: Array(k + 1...2 * k))])
        let factor = bilinear ? 2 : 1
        let m = fusion == .concat ? 2 : 1
        let width = (0...depth).map { baseChannels << $0 }
        inc = DoubleConv(k, width[0], generator: &generator)
        var downs: [Down] = []
        for i in 1...depth {
            downs.append(Down(width[i - 1], i == depth ? width[i] / factor : width[i], generator: &generator))
        }
        var ups: [Up] = []
        for i in 1...depth {
            let level = depth - i
            ups.append(Up(m * width[level + 1], i == depth ? m * width[0] : m * width[level] / factor, bilinear: bilinear,
                          generator: &generator))
        }
        self.downs = downs
        self.ups = ups
        outc = OutConv(m * width[0], classes, generator: &generator)
    }

    public var children: [(name: String, module: any Module)] {
        [("inc", inc)] + downs.enumerated().map { ("down\($0.offset + 1)", $0.element) }
            + ups.enumerated().map { ("up\($0.offset + 1)", $0.element) } + [("outc", outc)]
    }

    /// The shared encoder's features of one date, shallow to deep.
    private func encode(_ x: Tensor, context: ForwardContext) -> [Tensor] {
        var features = [context.apply(inc, "inc", x)]
        for (i, down) in downs.enumerated() { features.append(context.apply(down, "down\(i + 1)", features[i])) }
        return features
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        forward(inputs: inputLayout.unpack(x), context: context)
    }

    public func forward(inputs: [String: Tensor], context: ForwardContext) -> Tensor {
        let names = inputLayout.entries.map(\.name)
        guard let first = inputs[names[0]], let second = inputs[names[1]] else {
            preconditionFailure("SiameseUNet: inputs \(names) expected, got \(inputs.keys.sorted())")
        }
        let a = encode(first, context: context), b = encode(second, context: context)
        let fused = zip(a, b).map { (fa, fb) -> Tensor in
            fusion == .absdiff ? (fa - fb).abs() : Tensor.concatenate([fa, fb], alongAxis: 1)
        }
        return ClassicUNet.decode(fused, ups: ups, outc: outc, context: context)
    }

    /// Encoder layers (captured for the second date's pass) and the fused decoder's layers.
    public var camLayers: [String] {
        ["inc"] + (1...depth).map { "down\($0)" } + (1...depth).map { "up\($0)" }
    }

    /// The first decoder block: the deepest map that sees both dates.
    public var defaultCAMLayer: String { "up1" }
}
