public import Foundation

/// The sidecar that tells GeoLens how to feed a checkpoint and name its outputs
/// (`M.json` beside checkpoint `M`, or `--model-card`). Keys and defaults: CONTRACT.md.
public struct ModelCard: Codable, Sendable, Equatable {
    public enum Output: String, Codable, Sendable { case logits, probabilities }

    /// `onnx` or a built-in architecture name (`unet`, `smp-unet-resnet34`, ...).
    public var architecture: String
    public var inChannels: Int?
    public var classes: [String]?
    /// 1-based raster bands fed to the model, in order (default: all).
    public var bands: [Int]?
    /// Band names fed to the model, in order, matched to each raster's band descriptions when it
    /// is read (what STAC MLM items give instead of `bands`); exclusive with `bands`.
    public var bandNames: [String]?
    public var inputScale: Double
    public var inputOffset: Double
    public var mean: [Double]?
    public var std: [Double]?
    /// Per-channel clipping of the scaled values before `mean`/`std` (null entries: no bound);
    /// MLM's `clip`, `clip-min` and `clip-max` value scalings.
    public var clipMin: [Double?]?
    public var clipMax: [Double?]?
    public var output: Output
    public var tileSize: Int?
    public var overlap: Int?
    public var ignoreIndex: Int?
    public var architectureOptions: [String: JSONValue]
    /// Checkpoint key rewrites applied before matching (`{"from": "backbone.", "to": "encoder."}`).
    public var rename: [RenameRule]
    /// Load even when keys are missing, unexpected or of the wrong shape (reported, not fatal).
    public var allowPartialLoad: Bool
    /// What the checkpoint predicts: `segmentation` (default), `classification` or `multilabel`.
    public var task: ModelTask
    /// Multi-label decision threshold as written in the card (nil: 0.5); see `decisionThreshold`.
    public var threshold: LabelThreshold?
    /// Named inputs of a multi-input model (`ModelInput`), each with its own source, bands or
    /// columns, scaling and normalization; nil for a model fed by the tile alone (every card before).
    public var inputs: [ModelInput]?

    public struct RenameRule: Codable, Sendable, Equatable {
        /// A key prefix, or a regular expression when `regex` is true.
        public var from: String
        public var to: String
        public var regex: Bool

        public init(from: String, to: String, regex: Bool = false) {
            self.from = from; self.to = to; self.regex = regex
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case from, to, regex }

        public init(from decoder: Decoder) throws {
            try StrictDecoding.rejectUnknownKeys(in: decoder, allowed: CodingKeys.self, context: "rename rule")
            let c = try decoder.container(keyedBy: CodingKeys.self)
            from = try c.decode(String.self, forKey: .from)
            to = try c.decode(String.self, forKey: .to)
            regex = try c.decodeIfPresent(Bool.self, forKey: .regex) ?? false
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case architecture, classes, bands, mean, std, output, overlap, rename
        case inChannels = "in_channels", inputScale = "input_scale", inputOffset = "input_offset"
        case tileSize = "tile_size", ignoreIndex = "ignore_index", architectureOptions = "architecture_options"
        case allowPartialLoad = "allow_partial_load"
        case task, threshold
        case bandNames = "band_names", clipMin = "clip_min", clipMax = "clip_max"
        case inputs
    }

    public init(architecture: String, inChannels: Int? = nil, classes: [String]? = nil, bands: [Int]? = nil,
                inputScale: Double = 1, inputOffset: Double = 0, mean: [Double]? = nil, std: [Double]? = nil,
                output: Output = .logits, tileSize: Int? = nil, overlap: Int? = nil, ignoreIndex: Int? = nil,
                architectureOptions: [String: JSONValue] = [:], rename: [RenameRule] = [], allowPartialLoad: Bool = false,
                task: ModelTask = .segmentation, threshold: LabelThreshold? = nil,
                bandNames: [String]? = nil, clipMin: [Double?]? = nil, clipMax: [Double?]? = nil,
                inputs: [ModelInput]? = nil) {
        self.architecture = architecture
        self.inChannels = inChannels
        self.classes = classes
        self.bands = bands
        self.inputScale = inputScale
        self.inputOffset = inputOffset
        self.mean = mean
        self.std = std
        self.output = output
        self.tileSize = tileSize
        self.overlap = overlap
        self.ignoreIndex = ignoreIndex
        self.architectureOptions = architectureOptions
        self.rename = rename
        self.allowPartialLoad = allowPartialLoad
        self.task = task
        self.threshold = threshold
        self.bandNames = bandNames
        self.clipMin = clipMin
        self.clipMax = clipMax
        self.inputs = inputs
    }

    public init(from decoder: Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(in: decoder, allowed: CodingKeys.self, context: "model card")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            architecture: try c.decode(String.self, forKey: .architecture),
            inChannels: try c.decodeIfPresent(Int.self, forKey: .inChannels),
            classes: try c.decodeIfPresent([String].self, forKey: .classes),
            bands: try c.decodeIfPresent([Int].self, forKey: .bands),
            inputScale: try c.decodeIfPresent(Double.self, forKey: .inputScale) ?? 1,
            inputOffset: try c.decodeIfPresent(Double.self, forKey: .inputOffset) ?? 0,
            mean: try c.decodeIfPresent([Double].self, forKey: .mean),
            std: try c.decodeIfPresent([Double].self, forKey: .std),
            output: try c.decodeIfPresent(Output.self, forKey: .output) ?? .logits,
            tileSize: try c.decodeIfPresent(Int.self, forKey: .tileSize),
            overlap: try c.decodeIfPresent(Int.self, forKey: .overlap),
            ignoreIndex: try c.decodeIfPresent(Int.self, forKey: .ignoreIndex),
            architectureOptions: try c.decodeIfPresent([String: JSONValue].self, forKey: .architectureOptions) ?? [:],
            rename: try c.decodeIfPresent([RenameRule].self, forKey: .rename) ?? [],
            allowPartialLoad: try c.decodeIfPresent(Bool.self, forKey: .allowPartialLoad) ?? false,
            task: try c.decodeIfPresent(ModelTask.self, forKey: .task) ?? .segmentation,
            threshold: try c.decodeIfPresent(LabelThreshold.self, forKey: .threshold),
            bandNames: try c.decodeIfPresent([String].self, forKey: .bandNames),
            clipMin: try c.decodeIfPresent([Double?].self, forKey: .clipMin),
            clipMax: try c.decodeIfPresent([Double?].self, forKey: .clipMax),
            inputs: try c.decodeIfPresent([ModelInput].self, forKey: .inputs))
    }

    /// Writes every key; `task` and `threshold` only when they differ from the defaults, so the
    /// cards (and run fingerprints) of segmentation checkpoints read as before.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(architecture, forKey: .architecture)
        try c.encodeIfPresent(inChannels, forKey: .inChannels)
        try c.encodeIfPresent(classes, forKey: .classes)
        try c.encodeIfPresent(bands, forKey: .bands)
        try c.encode(inputScale, forKey: .inputScale)
        try c.encode(inputOffset, forKey: .inputOffset)
        try c.encodeIfPresent(mean, forKey: .mean)
        try c.encodeIfPresent(std, forKey: .std)
        try c.encode(output, forKey: .output)
        try c.encodeIfPresent(tileSize, forKey: .tileSize)
        try c.encodeIfPresent(overlap, forKey: .overlap)
        try c.encodeIfPresent(ignoreIndex, forKey: .ignoreIndex)
        try c.encode(architectureOptions, forKey: .architectureOptions)
        try c.encode(rename, forKey: .rename)
        try c.encode(allowPartialLoad, forKey: .allowPartialLoad)
        if task != .segmentation { try c.encode(task, forKey: .task) }
        try c.encodeIfPresent(threshold, forKey: .threshold)
        try c.encodeIfPresent(bandNames, forKey: .bandNames)
        try c.encodeIfPresent(clipMin, forKey: .clipMin)
        try c.encodeIfPresent(clipMax, forKey: .clipMax)
        try c.encodeIfPresent(inputs, forKey: .inputs)
    }

    /// The multi-label decision threshold: the card's, else 0.5 for every class.
    public var decisionThreshold: LabelThreshold { threshold ?? .standard }

    /// Checks values that decode but make no sense, naming the key.
    public func validate() throws(ModelCardError) {
        func fail(_ key: String, _ why: String) -> ModelCardError { ModelCardError(message: "model card key '\(key)' \(why)") }
        if let n = inChannels, n < 1 { throw fail("in_channels", "must be at least 1, got \(n)") }
        if let classes, classes.isEmpty { throw fail("classes", "must name at least one class") }
        if let classes, Set(classes).count != classes.count { throw fail("classes", "has duplicate names") }
        if let bands {
            if bands.isEmpty { throw fail("bands", "must list at least one band") }
            if let bad = bands.first(where: { $0 < 1 }) { throw fail("bands", "holds \(bad); bands are 1-based") }
            if let n = inChannels, n != bands.count {
                throw fail("bands", "lists \(bands.count) bands but in_channels is \(n)")
            }
        }
        if let bandNames {
            if bands != nil { throw fail("band_names", "and 'bands' both select bands; keep one") }
            if bandNames.isEmpty { throw fail("band_names", "must name at least one band") }
            if Set(bandNames).count != bandNames.count { throw fail("band_names", "has duplicate names") }
            if let n = inChannels, n != bandNames.count {
                throw fail("band_names", "names \(bandNames.count) bands but in_channels is \(n)")
            }
        }
        try validateInputs()
        let channels = inChannels ?? bands?.count ?? bandNames?.count
        for (key, values) in [("clip_min", clipMin), ("clip_max", clipMax)] {
            guard let values else { continue }
            if let channels, values.count != channels {
                throw fail(key, "has \(values.count) values for \(channels) input channels")
            }
            if values.contains(where: { $0.map { !$0.isFinite } ?? false }) { throw fail(key, "holds a non-finite value") }
        }
        if let low = clipMin, let high = clipMax {
            for (c, (l, h)) in zip(low, high).enumerated() {
                if let l, let h, l > h { throw fail("clip_min", "is above clip_max for channel \(c)") }
            }
        }
        for (key, values) in [("mean", mean), ("std", std)] {
            guard let values else { continue }
            if let channels, values.count != channels {
                throw fail(key, "has \(values.count) values for \(channels) input channels")
            }
            if values.contains(where: { !$0.isFinite }) { throw fail(key, "holds a non-finite value") }
        }
        if let std, std.contains(where: { $0 <= 0 }) { throw fail("std", "must be positive") }
        if !inputScale.isFinite || inputScale == 0 { throw fail("input_scale", "must be finite and non-zero") }
        if let t = tileSize, t < 1 { throw fail("tile_size", "must be positive, got \(t)") }
        if let o = overlap, o < 0 || (tileSize.map { o >= $0 } ?? false) {
            throw fail("overlap", "must be >= 0 and smaller than tile_size, got \(o)")
        }
        if task.scoresTiles && classes == nil {
            throw fail("classes", "is required for task '\(task.rawValue)': tile labels name the classes")
        }
        if let threshold {
            guard task == .multilabel else {
                throw fail("threshold", "applies only to \"task\": \"multilabel\" (the task is '\(task.rawValue)')")
            }
            if let bad = threshold.all.first(where: { !$0.isFinite || $0 < 0 || $0 > 1 }) {
                throw fail("threshold", "holds \(bad); thresholds are probabilities between 0 and 1")
            }
            if let count = threshold.perClassCount, let classes, count != classes.count {
                throw fail("threshold", "lists \(count) values for \(classes.count) classes; give one per class or a single number")
            }
        }
    }

    /// Reads and validates a card from JSON: a GeoLens model card, or a STAC item with the MLM
    /// extension (mapped by `MLMItem.modelCard()`).
    public static func load(from url: URL) throws -> ModelCard {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelCardError(message: "cannot read model card \(url.path): \(error.localizedDescription)")
        }
        if MLMItem.isItem(data) { return try MLMItem(data: data, url: url).modelCard() }
        do {
            let card = try JSONDecoder().decode(ModelCard.self, from: data)
            try card.validate()
            return card
        } catch let error as DecodingError {
            throw ModelCardError(message: "model card \(url.path): \(error.readableDescription)")
        } catch let error as ModelCardError {
            throw ModelCardError(message: "\(url.path): \(error.message)")
        }
    }

    /// The class names, or `class_0...` when the card names none.
    public func classNames(count: Int) -> [String] {
        classes ?? (0..<count).map { "class_\($0)" }
    }
}

/// A model card that cannot be read or makes no sense.
public struct ModelCardError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
