public import GeoLensTensor

/// Built-in architectures by name, built from a model card.
///
/// `unet`, `smp-unet-resnet18/34/50` and the classifiers `resnet18/34/50` are registered from the
/// start; `register` adds more.
public enum ModelRegistry {
    public typealias Builder = @Sendable (_ card: ModelCard, _ generator: inout SeededGenerator) throws -> any SegmentationModel

    private static let builders = Locked<[String: Builder]>(builtIns)

    /// Registers (or replaces) an architecture.
    public static func register(_ name: String, builder: @escaping Builder) {
        builders.withLock { $0[name] = builder }
    }

    /// Names of registered architectures, sorted.
    public static var names: [String] { builders.withLock { $0.keys.sorted() } }

    /// Builds the card's architecture with freshly initialized parameters (seeded).
    public static func build(_ card: ModelCard, seed: UInt64 = 0) throws -> any SegmentationModel {
        guard let builder = builders.withLock({ $0[card.architecture] }) else {
            var message = "unknown architecture '\(card.architecture)'"
            if let near = StrictDecoding.nearest(to: card.architecture, in: names) { message += " (did you mean '\(near)'?)" }
            throw ModelCardError(message: message + "; built-in architectures: \(names.joined(separator: ", ")), or 'onnx'")
        }
        var generator = SeededGenerator(seed: seed)
        return try builder(card, &generator)
    }

    private static let builtIns: [String: Builder] = {
        var table: [String: Builder] = [
            "unet": { card, generator in
                let options = try ArchitectureOptions(card, allowed: ["base_channels", "depth", "bilinear"])
                return ClassicUNet(inChannels: try options.inChannels(), classes: try options.classCount(),
                                   baseChannels: try options.int("base_channels", default: 64),
                                   depth: try options.int("depth", default: 4),
                                   bilinear: try options.bool("bilinear", default: false), generator: &generator)
            },
            "siamese-unet": { card, generator in
                let options = try ArchitectureOptions(card, allowed: ["base_channels", "depth", "bilinear", "fusion"])
                let channels = try options.inChannels()
                guard channels >= 2, channels % 2 == 0 else {
                    throw ModelCardError(message: "siamese-unet takes two dates of equal band count stacked along channels, "
                                         + "but the card feeds \(channels) channels; feed an even number (e.g. inputs t1 and t2)")
                }
                let fusionName = card.architectureOptions["fusion"]?.stringValue ?? "absdiff"
                guard let fusion = SiameseUNet.Fusion(rawValue: fusionName) else {
                    throw ModelCardError(message: "architecture option 'fusion' is '\(fusionName)'; use absdiff or concat")
                }
                var names = ("t1", "t2")
                if let inputs = card.inputs {
                    guard inputs.count == 2, inputs[0].channels == inputs[1].channels, !inputs.contains(where: \.isScalar) else {
                        throw ModelCardError(message: "siamese-unet takes two raster inputs with the same number of bands (date 1, "
                                             + "date 2); the card lists \(inputs.map { "\($0.name) (\($0.channels))" }.joined(separator: ", "))")
                    }
                    names = (inputs[0].name, inputs[1].name)
                }
                return SiameseUNet(inChannels: channels, classes: try options.classCount(),
                                   baseChannels: try options.int("base_channels", default: 64),
                                   depth: try options.int("depth", default: 4),
                                   bilinear: try options.bool("bilinear", default: false), fusion: fusion,
                                   inputNames: names, generator: &generator)
            },
        ]
        for variant in ResNetEncoder.Variant.allCases {
            table["smp-unet-\(variant.rawValue)"] = { card, generator in
                let options = try ArchitectureOptions(card, allowed: ["encoder_depth", "decoder_channels"])
                let depth = try options.int("encoder_depth", default: 5)
                let decoder = try options.ints("decoder_channels", default: Array([256, 128, 64, 32, 16].prefix(depth)))
                return SMPUnet(encoder: variant, inChannels: try options.inChannels(), classes: try options.classCount(),
                               depth: depth, decoderChannels: decoder, generator: &generator)
            }
            table[variant.rawValue] = { card, generator in
                let options = try ArchitectureOptions(card, allowed: ["width"])
                return ResNetClassifier(variant, inChannels: try options.inChannels(), classes: try options.classCount(),
                                        width: try options.int("width", default: 64), generator: &generator)
            }
        }
        return table
    }()
}

/// Typed access to a card's `architecture_options`, rejecting unknown option names.
struct ArchitectureOptions {
    let card: ModelCard

    init(_ card: ModelCard, allowed: [String]) throws {
        self.card = card
        for key in card.architectureOptions.keys where !allowed.contains(key) {
            var message = "architecture '\(card.architecture)' has no option '\(key)'"
            if let near = StrictDecoding.nearest(to: key, in: allowed) { message += " (did you mean '\(near)'?)" }
            throw ModelCardError(message: message + "; options: \(allowed.joined(separator: ", "))")
        }
    }

    func inChannels() throws -> Int {
        guard let n = card.inChannels ?? card.bands?.count ?? card.inputLayout?.channelCount else {
            throw ModelCardError(message: "model card for '\(card.architecture)' needs 'in_channels' (or 'bands')")
        }
        return n
    }

    func classCount() throws -> Int {
        guard let n = card.classes?.count else {
            throw ModelCardError(message: "model card for '\(card.architecture)' needs 'classes'")
        }
        return n
    }

    func int(_ key: String, default value: Int) throws -> Int {
        guard let raw = card.architectureOptions[key] else { return value }
        guard let v = raw.intValue, v > 0 else {
            throw ModelCardError(message: "architecture option '\(key)' must be a positive integer")
        }
        return v
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let raw = card.architectureOptions[key] else { return value }
        guard let v = raw.boolValue else { throw ModelCardError(message: "architecture option '\(key)' must be true or false") }
        return v
    }

    func ints(_ key: String, default value: [Int]) throws -> [Int] {
        guard let raw = card.architectureOptions[key] else { return value }
        guard let list = raw.arrayValue?.compactMap(\.intValue), list.count == raw.arrayValue?.count else {
            throw ModelCardError(message: "architecture option '\(key)' must be a list of integers")
        }
        return list
    }
}
