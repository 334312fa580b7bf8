import GeoLensTensor
public import GeoLensNN

/// The loss section of a training configuration (`loss:` key).
public struct LossConfiguration: Codable, Sendable, Equatable {
    /// Registered name: `cross_entropy`, `focal`, `dice`, `ce_dice`, `bce` (multi-label), or one added
    /// with `LossRegistry.register`.
    public var name: String = "cross_entropy"
    public var classWeights: [Float]?
    public var labelSmoothing: Float = 0
    public var gamma: Float = 2
    /// Focal alpha per class; `alphaFromFrequencies` computes it as normalized inverse class frequency instead.
    public var alpha: [Float]?
    public var alphaFromFrequencies: Bool = false
    /// Focal alpha recomputed for every batch from the batch's labels (`FocalLoss.batchAlpha`,
    /// `SigmoidFocalLoss.batchAlpha`).
    public var dynamicAlpha: Bool = false
    /// Weight of the Dice term in `ce_dice` (the cross-entropy term has weight 1).
    public var diceWeight: Float = 1
    public var diceSmoothing: Float = 1

    public init(name: String = "cross_entropy") { self.name = name }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, gamma, alpha
        case classWeights = "class_weights", labelSmoothing = "label_smoothing", alphaFromFrequencies = "alpha_from_frequencies"
        case dynamicAlpha = "dynamic_alpha"
        case diceWeight = "dice_weight", diceSmoothing = "dice_smoothing"
    }

    public init(from decoder: Decoder) throws {
        try ConfigurationDecoding.rejectUnknownKeys(decoder, CodingKeys.self, "loss")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? name
        classWeights = try c.decodeIfPresent([Float].self, forKey: .classWeights)
        labelSmoothing = try c.decodeIfPresent(Float.self, forKey: .labelSmoothing) ?? labelSmoothing
        gamma = try c.decodeIfPresent(Float.self, forKey: .gamma) ?? gamma
        alpha = try c.decodeIfPresent([Float].self, forKey: .alpha)
        alphaFromFrequencies = try c.decodeIfPresent(Bool.self, forKey: .alphaFromFrequencies) ?? false
        dynamicAlpha = try c.decodeIfPresent(Bool.self, forKey: .dynamicAlpha) ?? false
        if dynamicAlpha && (alpha != nil || alphaFromFrequencies) {
            throw TrainingError.configuration("loss.dynamic_alpha computes alpha per batch; remove loss.alpha and loss.alpha_from_frequencies")
        }
        diceWeight = try c.decodeIfPresent(Float.self, forKey: .diceWeight) ?? diceWeight
        diceSmoothing = try c.decodeIfPresent(Float.self, forKey: .diceSmoothing) ?? diceSmoothing
    }
}

/// What a loss builder may use besides its configuration.
public struct LossContext: Sendable {
    public var classCount: Int
    public var ignoreIndex: Int?
    /// Labelled pixels per class in the training split (labelled tiles per class for tile tasks).
    public var classPixelCounts: [Int]
    /// What the model predicts: losses for pixels and single-label tiles take class ids, multi-label
    /// losses take N x K binary targets.
    public var task: ModelTask
    /// Tiles in the training split (tile tasks: the multi-label focal alpha from frequencies is the
    /// fraction of them without each label).
    public var tileCount: Int

    public init(classCount: Int, ignoreIndex: Int?, classPixelCounts: [Int], task: ModelTask = .segmentation, tileCount: Int = 0) {
        self.classCount = classCount
        self.ignoreIndex = ignoreIndex
        self.classPixelCounts = classPixelCounts
        self.task = task
        self.tileCount = tileCount
    }

    /// Inverse class frequencies normalized to mean 1 (classes without pixels get 0).
    public var inverseFrequencyWeights: [Float] {
        let total = Double(classPixelCounts.reduce(0, +))
        let raw = classPixelCounts.map { $0 > 0 ? total / Double($0) : 0 }
        let mean = raw.reduce(0, +) / Double(Swift.max(raw.filter { $0 > 0 }.count, 1))
        return raw.map { mean > 0 ? Float($0 / mean) : 1 }
    }
}

/// Losses by name. Built-ins: `cross_entropy`, `focal`, `dice`, `ce_dice` for segmentation and
/// classification (`dice` and `ce_dice` for segmentation only), `bce` and `focal` (sigmoid) for
/// multi-label; `register` adds more.
public enum LossRegistry {
    public typealias Builder = @Sendable (LossConfiguration, LossContext) throws -> any SegmentationLoss

    private static let builders = Locked<[String: Builder]>([
        "cross_entropy": { config, context in
            try refuse(context, [.multilabel], "cross_entropy", instead: "bce or focal")
            return CrossEntropyLoss(classWeights: try weights(config.classWeights, context, key: "loss.class_weights"),
                             ignoreIndex: context.ignoreIndex, labelSmoothing: config.labelSmoothing)
        },
        "focal": { config, context in
            if context.task == .multilabel {
                let alpha = config.alphaFromFrequencies
                    ? context.classPixelCounts.map { Float(Swift.max(context.tileCount - $0, 0)) / Float(Swift.max(context.tileCount, 1)) }
                    : try weights(config.alpha, context, key: "loss.alpha")
                if let alpha, alpha.contains(where: { $0 > 1 }) {
                    throw TrainingError.configuration("loss.alpha of a multi-label focal loss weighs positives against negatives and must lie in [0, 1]")
                }
                return SigmoidFocalLoss(gamma: config.gamma, alpha: alpha, dynamicAlpha: config.dynamicAlpha)
            }
            let alpha = config.alphaFromFrequencies ? context.inverseFrequencyWeights
                : try weights(config.alpha, context, key: "loss.alpha")
            return FocalLoss(gamma: config.gamma, alpha: alpha, ignoreIndex: context.ignoreIndex, dynamicAlpha: config.dynamicAlpha)
        },
        "bce": { config, context in
            try refuse(context, [.segmentation, .classification], "bce", instead: "cross_entropy or focal")
            return BinaryCrossEntropyLoss()
        },
        "dice": { config, context in
            try refuse(context, [.classification, .multilabel], "dice", instead: "cross_entropy, bce or focal")
            return DiceLoss(smoothing: config.diceSmoothing, ignoreIndex: context.ignoreIndex) },
        "ce_dice": { config, context in
            try refuse(context, [.classification, .multilabel], "ce_dice", instead: "cross_entropy, bce or focal")
            return CombinedLoss([
                (1, CrossEntropyLoss(classWeights: try weights(config.classWeights, context, key: "loss.class_weights"),
                                     ignoreIndex: context.ignoreIndex, labelSmoothing: config.labelSmoothing)),
                (config.diceWeight, DiceLoss(smoothing: config.diceSmoothing, ignoreIndex: context.ignoreIndex)),
            ])
        },
    ])

    /// Registers (or replaces) a loss under `name`.
    public static func register(_ name: String, builder: @escaping Builder) {
        builders.withLock { $0[name] = builder }
    }

    public static var names: [String] { builders.withLock { $0.keys.sorted() } }

    /// Builds the configured loss; an unknown name is an error naming the registered ones.
    public static func build(_ config: LossConfiguration, context: LossContext) throws -> any SegmentationLoss {
        guard let builder = builders.withLock({ $0[config.name] }) else {
            throw TrainingError.configuration("loss.name '\(config.name)' is not a registered loss; use one of \(names.joined(separator: ", "))")
        }
        return try builder(config, context)
    }

    private static func refuse(_ context: LossContext, _ tasks: Set<ModelTask>, _ name: String, instead: String) throws {
        guard tasks.contains(context.task) else { return }
        throw TrainingError.configuration("loss.name '\(name)' does not apply to task '\(context.task.rawValue)'; use \(instead)")
    }

    private static func weights(_ values: [Float]?, _ context: LossContext, key: String) throws -> [Float]? {
        guard let values else { return nil }
        guard values.count == context.classCount, values.allSatisfy({ $0 >= 0 }) else {
            throw TrainingError.configuration("\(key) needs \(context.classCount) non-negative values, got \(values)")
        }
        return values
    }
}
