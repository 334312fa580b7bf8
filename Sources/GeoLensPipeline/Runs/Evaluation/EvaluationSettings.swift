import Foundation
import GeoLensNN

/// Settings of an evaluation run: the keys of `geolens eval` config files (flags map onto the
/// same keys). Decoding is strict: unknown keys are errors that suggest the nearest valid key.
public struct EvaluationSettings: Decodable, Sendable {
    /// Checkpoint path (safetensors, PyTorch zip, ONNX).
    public var model: String
    /// Model card path; default: the checkpoint's sidecar.
    public var modelCard: String?
    /// Image directory, glob or list file.
    public var images: String
    /// Label directory (segmentation; paired with images by key, stem minus suffix), or a `.csv`
    /// label table (`tile,label` / `tile,labels`) for classification and multilabel cards. Not
    /// needed with `classFolders`.
    public var labels: String?
    /// Output directory.
    public var out: String
    public var imageSuffix: String
    public var labelSuffix: String
    public var batch: Int
    public var threads: Int?
    /// `I/N`: evaluate only shard I (0-based) of N.
    public var shard: String?
    /// Overrides the card's ignore index.
    public var ignoreIndex: Int?
    /// Label value remapping, e.g. `{"10": 0, "20": 1}`.
    public var labelRemap: [String: Int]?
    /// Number of MC-dropout passes (0: off).
    public var mcDropout: Int
    public var bootstrapResamples: Int
    public var seed: UInt64
    public var writePredictions: Bool
    public var writeProbabilities: Bool
    /// Write the prediction rasters as Cloud-Optimized GeoTIFFs (default) or plain GeoTIFFs (`cog: false`).
    public var cog: Bool
    /// `fail` (default) or `skip`: what a tile that cannot be read, paired or scored does.
    public var onError: String
    /// With `on_error: skip`, stop once more tiles than this have failed.
    public var maxFailures: Int?
    /// Tile tasks: each tile's class is the name of its folder (`images/<class>/*.tif`).
    public var classFolders: Bool
    /// Tile tasks: tiles without a row in the label table are scored but left out of the metrics.
    public var allowUnlabelled: Bool
    /// Named input sources for a multi-input card (`--source NAME=PATH`, config `sources:`).
    public var sources: [String: String] = [:]

    public init(model: String, modelCard: String? = nil, images: String, labels: String?, out: String,
                imageSuffix: String = "", labelSuffix: String = "", batch: Int = 4, threads: Int? = nil,
                shard: String? = nil, ignoreIndex: Int? = nil, labelRemap: [String: Int]? = nil, mcDropout: Int = 0,
                bootstrapResamples: Int = 1000, seed: UInt64 = 0, writePredictions: Bool = false,
                writeProbabilities: Bool = false, cog: Bool = true, onError: String = "fail", maxFailures: Int? = nil,
                classFolders: Bool = false, allowUnlabelled: Bool = false) {
        self.model = model
        self.modelCard = modelCard
        self.images = images
        self.labels = labels
        self.out = out
        self.imageSuffix = imageSuffix
        self.labelSuffix = labelSuffix
        self.batch = batch
        self.threads = threads
        self.shard = shard
        self.ignoreIndex = ignoreIndex
        self.labelRemap = labelRemap
        self.mcDropout = mcDropout
        self.bootstrapResamples = bootstrapResamples
        self.seed = seed
        self.writePredictions = writePredictions
        self.writeProbabilities = writeProbabilities
        self.cog = cog
        self.onError = onError
        self.maxFailures = maxFailures
        self.classFolders = classFolders
        self.allowUnlabelled = allowUnlabelled
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, images, labels, out, batch, threads, shard, seed
        case modelCard = "model_card", imageSuffix = "image_suffix", labelSuffix = "label_suffix"
        case ignoreIndex = "ignore_index", labelRemap = "label_remap", mcDropout = "mc_dropout"
        case bootstrapResamples = "bootstrap_resamples", writePredictions = "write_predictions"
        case cog, writeProbabilities = "write_probabilities", onError = "on_error", maxFailures = "max_failures"
        case classFolders = "class_folders", allowUnlabelled = "allow_unlabelled"
        case sources
    }

    public init(from decoder: Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(in: decoder, allowed: CodingKeys.self, context: "eval config")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(model: try c.decode(String.self, forKey: .model),
                  modelCard: try c.decodeIfPresent(String.self, forKey: .modelCard),
                  images: try c.decode(String.self, forKey: .images),
                  labels: try c.decodeIfPresent(String.self, forKey: .labels),
                  out: try c.decode(String.self, forKey: .out),
                  imageSuffix: try c.decodeIfPresent(String.self, forKey: .imageSuffix) ?? "",
                  labelSuffix: try c.decodeIfPresent(String.self, forKey: .labelSuffix) ?? "",
                  batch: try c.decodeIfPresent(Int.self, forKey: .batch) ?? 4,
                  threads: try c.decodeIfPresent(Int.self, forKey: .threads),
                  shard: try c.decodeIfPresent(String.self, forKey: .shard),
                  ignoreIndex: try c.decodeIfPresent(Int.self, forKey: .ignoreIndex),
                  labelRemap: try c.decodeIfPresent([String: Int].self, forKey: .labelRemap),
                  mcDropout: try c.decodeIfPresent(Int.self, forKey: .mcDropout) ?? 0,
                  bootstrapResamples: try c.decodeIfPresent(Int.self, forKey: .bootstrapResamples) ?? 1000,
                  seed: try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0,
                  writePredictions: try c.decodeIfPresent(Bool.self, forKey: .writePredictions) ?? false,
                  writeProbabilities: try c.decodeIfPresent(Bool.self, forKey: .writeProbabilities) ?? false,
                  cog: try c.decodeIfPresent(Bool.self, forKey: .cog) ?? true,
                  onError: try c.decodeIfPresent(String.self, forKey: .onError) ?? "fail",
                  maxFailures: try c.decodeIfPresent(Int.self, forKey: .maxFailures),
                  classFolders: try c.decodeIfPresent(Bool.self, forKey: .classFolders) ?? false,
                  allowUnlabelled: try c.decodeIfPresent(Bool.self, forKey: .allowUnlabelled) ?? false)
        sources = try c.decodeIfPresent([String: String].self, forKey: .sources) ?? [:]
    }

    /// How the prediction rasters are written.
    public var rasterFormat: RasterOutputFormat { RasterOutputFormat(cloudOptimized: cog) }

    /// The sample source these settings describe (keeping unlabelled tiles when they are skipped).
    public func sampleSource() throws(PipelineError) -> SampleSourceOptions {
        var options = SampleSourceOptions(images: images, labels: labels, imageSuffix: imageSuffix, labelSuffix: labelSuffix,
                                          labelRemap: try SampleSourceOptions.labelRemap(fromConfig: labelRemap),
                                          ignoreIndex: ignoreIndex, classFolders: classFolders, allowUnlabelled: allowUnlabelled)
        options.keepUnlabelled = onError == FailurePolicy.Mode.skip.rawValue
        options.sources = sources
        return options
    }

    /// The failure policy of `on_error` and `max_failures`.
    public func failurePolicy(source: String = "eval settings") throws(PipelineError) -> FailurePolicy {
        try FailurePolicy(onError: onError, maxFailures: maxFailures, source: source)
    }

    /// Range checks that decoding cannot express; each names its key and `source` (the config file).
    public func validate(source: String = "eval settings") throws(PipelineError) {
        func fail(_ key: CodingKeys, _ why: String) -> PipelineError { .usage("\(source): key '\(key.rawValue)' \(why)") }
        if batch < 1 || batch > 1024 { throw fail(.batch, "must be between 1 and 1024, got \(batch)") }
        if let threads, threads < 1 || threads > 1024 { throw fail(.threads, "must be between 1 and 1024, got \(threads)") }
        if mcDropout < 0 || mcDropout > 1000 { throw fail(.mcDropout, "must be between 0 and 1000, got \(mcDropout)") }
        if mcDropout == 1 { throw fail(.mcDropout, "needs at least 2 passes (or 0 to switch it off)") }
        if bootstrapResamples < 1 || bootstrapResamples > 100_000 {
            throw fail(.bootstrapResamples, "must be between 1 and 100000, got \(bootstrapResamples)")
        }
        if let labelRemap, let bad = labelRemap.keys.first(where: { Int($0) == nil }) {
            throw fail(.labelRemap, "maps '\(bad)', which is not an integer label value")
        }
        if writeProbabilities && !writePredictions {
            throw fail(.writeProbabilities, "needs 'write_predictions: true'")
        }
        _ = try failurePolicy(source: source)
        if labels == nil && !classFolders {
            throw .usage("\(source): missing required key 'labels' (a label directory, or a labels.csv for tile tasks; "
                         + "or set 'class_folders: true')")
        }
        if let labels, classFolders {
            throw fail(.classFolders, "takes each tile's class from its folder; drop 'labels' (\(labels))")
        }
    }
}
