public import GeoLensNN

/// A whole training run (`geolens train --config FILE`), strictly decoded: unknown keys are
/// errors that name the key and suggest the nearest valid one.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// The model to build (architecture, options, classes, bands, input scale, ignore index).
    /// `mean`/`std` are replaced by statistics of the training split.
    public var model: ModelCard
    public var data: DataConfiguration
    public var epochs: Int = 10
    public var batchSize: Int = 4
    public var seed: UInt64 = 0
    public var loss = LossConfiguration()
    public var optimizer = OptimizerConfiguration()
    public var schedule = LearningRateSchedule()
    public var augmentation: AugmentationConfiguration?
    public var hooks = HookConfiguration()
    /// Folder under which run directories `<architecture>-<loss>-<yyyyMMdd>[-N]` are made.
    public var out: String = "runs"
    /// An exact run directory (overrides the generated name).
    public var runDirectory: String?

    public init(model: ModelCard, data: DataConfiguration) {
        self.model = model
        self.data = data
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, data, epochs, seed, loss, optimizer, schedule, augmentation, hooks, out
        case batchSize = "batch_size", runDirectory = "run_dir"
    }

    public init(from decoder: Decoder) throws {
        try ConfigurationDecoding.rejectUnknownKeys(decoder, CodingKeys.self, "training config")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(ModelCard.self, forKey: .model)
        data = try c.decode(DataConfiguration.self, forKey: .data)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        loss = try c.decodeIfPresent(LossConfiguration.self, forKey: .loss) ?? loss
        optimizer = try c.decodeIfPresent(OptimizerConfiguration.self, forKey: .optimizer) ?? optimizer
        schedule = try c.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? schedule
        augmentation = try c.decodeIfPresent(AugmentationConfiguration.self, forKey: .augmentation)
        hooks = try c.decodeIfPresent(HookConfiguration.self, forKey: .hooks) ?? hooks
        out = try c.decodeIfPresent(String.self, forKey: .out) ?? out
        runDirectory = try c.decodeIfPresent(String.self, forKey: .runDirectory)
        guard epochs >= 1 else { throw TrainingError.configuration("epochs must be at least 1, got \(epochs)") }
        guard batchSize >= 1 else { throw TrainingError.configuration("batch_size must be at least 1, got \(batchSize)") }
    }
}

/// Where the tiles are and how they are split (`data:` key).
public struct DataConfiguration: Codable, Sendable, Equatable {
    public var images: String
    public var labels: String
    public var validationFraction: Double = 0.2
    public var testFraction: Double = 0
    /// Explicit validation/test tile ids (relative paths); when given, the fractions are not used.
    public var validationTiles: [String]?
    public var testTiles: [String]?
    /// Side of random training crops (centre crops in validation); nil: whole tiles.
    public var crop: Int?
    /// Class-balanced cap on training tiles per class.
    public var maxTilesPerClass: Int?
    /// Tile tasks: draw a fresh class-balanced subset of the training split every epoch (at most
    /// `maxTilesPerClass` tiles per class) instead of capping the split once.
    public var balancedSampling: Bool = false
    /// Tile tasks: the class of a tile is its folder (`images/<class>/*.tif`); `labels` is not used.
    public var classFolders: Bool = false
    /// Pairing and remapping, as in eval and explain.
    public var imageSuffix: String = ""
    public var labelSuffix: String = ""
    public var labelRemap: [String: Int]?
    /// Named input sources that a multi-input card's `inputs` read (`sources:`, as in eval).
    public var sources: [String: String]?

    public init(images: String, labels: String) {
        self.images = images
        self.labels = labels
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case images, labels, crop
        case validationFraction = "validation_fraction", testFraction = "test_fraction"
        case validationTiles = "validation_tiles", testTiles = "test_tiles", maxTilesPerClass = "max_tiles_per_class"
        case imageSuffix = "image_suffix", labelSuffix = "label_suffix", labelRemap = "label_remap"
        case balancedSampling = "balanced_sampling", classFolders = "class_folders", sources
    }

    public init(from decoder: Decoder) throws {
        try ConfigurationDecoding.rejectUnknownKeys(decoder, CodingKeys.self, "data")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        images = try c.decode(String.self, forKey: .images)
        classFolders = try c.decodeIfPresent(Bool.self, forKey: .classFolders) ?? false
        balancedSampling = try c.decodeIfPresent(Bool.self, forKey: .balancedSampling) ?? false
        if classFolders {
            labels = try c.decodeIfPresent(String.self, forKey: .labels) ?? ""
            if !labels.isEmpty { throw TrainingError.configuration("data.class_folders takes each tile's class from its folder; remove data.labels") }
        } else {
            labels = try c.decode(String.self, forKey: .labels)
        }
        validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? validationFraction
        testFraction = try c.decodeIfPresent(Double.self, forKey: .testFraction) ?? 0
        imageSuffix = try c.decodeIfPresent(String.self, forKey: .imageSuffix) ?? ""
        labelSuffix = try c.decodeIfPresent(String.self, forKey: .labelSuffix) ?? ""
        labelRemap = try c.decodeIfPresent([String: Int].self, forKey: .labelRemap)
        sources = try c.decodeIfPresent([String: String].self, forKey: .sources)
        validationTiles = try c.decodeIfPresent([String].self, forKey: .validationTiles)
        testTiles = try c.decodeIfPresent([String].self, forKey: .testTiles)
        crop = try c.decodeIfPresent(Int.self, forKey: .crop)
        maxTilesPerClass = try c.decodeIfPresent(Int.self, forKey: .maxTilesPerClass)
        if let cap = maxTilesPerClass, cap < 1 { throw TrainingError.configuration("data.max_tiles_per_class must be at least 1, got \(cap)") }
        guard (0..<1).contains(validationFraction), (0..<1).contains(testFraction), validationFraction + testFraction < 1 else {
            throw TrainingError.configuration("data.validation_fraction and data.test_fraction must be in [0, 1) with a sum below 1")
        }
    }
}

/// Built-in hooks to attach (`hooks:` key). Uncertainty tracking is always on.
public struct HookConfiguration: Codable, Sendable, Equatable {
    /// Lambda of `EntropyRegularization` (nil or 0: off).
    public var entropyRegularization: Float?
    public var earlyStopping: EarlyStoppingConfiguration?
    /// Value the best checkpoint is chosen by (a history column) and its direction.
    public var checkpointMonitor: String = "val_miou"
    public var checkpointMode: MonitorMode = .max
    /// GradCAM++ maps of fixed validation tiles every few epochs (nil: off).
    public var attributionSnapshots: AttributionSnapshotConfiguration?
    /// TensorBoard event files in the run directory (default on).
    public var tensorboard: Bool = true

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case entropyRegularization = "entropy_regularization", earlyStopping = "early_stopping"
        case checkpointMonitor = "checkpoint_monitor", checkpointMode = "checkpoint_mode"
        case attributionSnapshots = "attribution_snapshots", tensorboard
    }

    public init(from decoder: Decoder) throws {
        try ConfigurationDecoding.rejectUnknownKeys(decoder, CodingKeys.self, "hooks")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        entropyRegularization = try c.decodeIfPresent(Float.self, forKey: .entropyRegularization)
        earlyStopping = try c.decodeIfPresent(EarlyStoppingConfiguration.self, forKey: .earlyStopping)
        checkpointMonitor = try c.decodeIfPresent(String.self, forKey: .checkpointMonitor) ?? checkpointMonitor
        checkpointMode = try c.decodeIfPresent(MonitorMode.self, forKey: .checkpointMode) ?? checkpointMode
        attributionSnapshots = try c.decodeIfPresent(AttributionSnapshotConfiguration.self, forKey: .attributionSnapshots)
        tensorboard = try c.decodeIfPresent(Bool.self, forKey: .tensorboard) ?? tensorboard
        guard EpochRecord.monitorNames.contains(checkpointMonitor) else {
            throw TrainingError.configuration("hooks.checkpoint_monitor '\(checkpointMonitor)' is not one of \(EpochRecord.monitorNames.joined(separator: ", "))")
        }
    }
}

public struct EarlyStoppingConfiguration: Codable, Sendable, Equatable {
    public var monitor: String = "val_loss"
    public var mode: MonitorMode = .min
    public var patience: Int = 5
    public var minDelta: Double = 0

    enum CodingKeys: String, CodingKey, CaseIterable { case monitor, mode, patience, minDelta = "min_delta" }

    public init(from decoder: Decoder) throws {
        try ConfigurationDecoding.rejectUnknownKeys(decoder, CodingKeys.self, "hooks.early_stopping")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        monitor = try c.decodeIfPresent(String.self, forKey: .monitor) ?? monitor
        mode = try c.decodeIfPresent(MonitorMode.self, forKey: .mode) ?? mode
        patience = try c.decodeIfPresent(Int.self, forKey: .patience) ?? patience
        minDelta = try c.decodeIfPresent(Double.self, forKey: .minDelta) ?? 0
        guard EpochRecord.monitorNames.contains(monitor) else {
            throw TrainingError.configuration("hooks.early_stopping.monitor '\(monitor)' is not one of \(EpochRecord.monitorNames.joined(separator: ", "))")
        }
    }
}
