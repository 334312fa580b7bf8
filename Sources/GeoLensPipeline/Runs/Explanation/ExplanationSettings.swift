import Foundation
public import GeoLensExplain
import GeoLensNN

/// Settings of an explanation run: the keys of `geolens explain` config files (flags map onto
/// the same keys). Tiles and labels are listed and paired exactly as evaluation pairs them
/// (`image_suffix`, `label_suffix`, `label_remap`, `ignore_index`).
public struct ExplanationSettings: Decodable, Sendable {
    /// Checkpoint path (safetensors, PyTorch zip, ONNX when the build runs it).
    public var model: String
    public var modelCard: String?
    /// A GeoTIFF, a directory of GeoTIFFs, or a glob.
    public var input: String
    public var out: String
    /// gradcam, gradcam++, hirescam, layercam, shap-exact, kernel-shap, gradient-shap, integrated-gradients,
    /// deeplift, deepshap.
    public var method: String
    /// Class names or indices; default: every class present in the prediction.
    public var classes: [String]?
    public var layer: String?
    /// `vis=1,2,3;nir=4` (1-based model input channels); default one group per band.
    public var groups: String?
    /// `rows x columns` grid of cells crossed with the groups (e.g. `2x2`).
    public var grid: String?
    /// Target number of SLIC superpixel cells crossed with the groups (instead of a grid).
    public var superpixels: Int?
    /// SLIC compactness m (default 10): larger values give more regular cells.
    public var compactness: Double?
    /// The bands SLIC segments: `all` model input channels (default) or the `composite` channels.
    public var superpixelBands: String?
    /// 1-based positions among the model's input channels shown as red, green, blue under the
    /// heatmaps (default 3,2,1: Sentinel-2 B2,B3,B4 order gives true colour; a single channel for grey).
    public var composite: [Int]?
    /// mean, zero, or a JSON file with one raw band value per model input band.
    public var baseline: String
    /// Background tiles (a GeoTIFF, directory, glob or list file) whose model inputs are the
    /// reference distribution of `deepshap` (required) and `gradient-shap` (instead of `baseline`).
    public var background: String?
    /// At most this many background tiles, evenly spaced over the sorted list (default 16).
    public var backgroundCount: Int?
    public var samples: Int
    public var steps: Int
    public var seed: UInt64
    public var target: String
    public var labels: String?
    public var batch: Int
    public var threads: Int?
    public var shard: String?
    /// Adds deletion/insertion AUCs and cascading model randomization to every record.
    public var sanity: Bool
    public var imageSuffix: String
    public var labelSuffix: String
    public var labelRemap: [String: Int]?
    public var ignoreIndex: Int?
    /// `fail` (default) or `skip`: what a tile that cannot be read or explained does.
    public var onError: String
    /// With `on_error: skip`, stop once more tiles than this have failed.
    public var maxFailures: Int?
    /// Tile classifiers: each tile's class is its folder's name (`images/<class>/*.tif`).
    public var classFolders: Bool = false
    /// Tile classifiers: tiles without a row in the label table are read unlabelled.
    public var allowUnlabelled: Bool = false
    /// Cloud-Optimized attribution rasters (default) or plain GeoTIFFs (`cog: false`).
    public var cog: Bool = true
    /// Named input sources for a multi-input card (`--source NAME=PATH`, config `sources:`).
    public var sources: [String: String] = [:]

    /// How the attribution and superpixel rasters are written.
    public var rasterFormat: RasterOutputFormat { RasterOutputFormat(cloudOptimized: cog) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, input, out, method, classes, layer, groups, grid, superpixels, compactness, composite, baseline, samples
        case steps, seed, target, labels, batch, threads, shard, sanity, cog
        case background, backgroundCount = "background_count"
        case modelCard = "model_card", superpixelBands = "superpixel_bands"
        case imageSuffix = "image_suffix", labelSuffix = "label_suffix", labelRemap = "label_remap"
        case ignoreIndex = "ignore_index", onError = "on_error", maxFailures = "max_failures"
        case classFolders = "class_folders", allowUnlabelled = "allow_unlabelled"
        case sources
    }

    /// Settings with the defaults of the command line; set the other properties as needed.
    public init(model: String, modelCard: String? = nil, input: String, out: String, method: AttributionMethod) {
        self.model = model
        self.modelCard = modelCard
        self.input = input
        self.out = out
        self.method = method.rawValue
        baseline = "mean"
        samples = 256
        steps = 50
        seed = 0
        target = "predicted"
        batch = 8
        sanity = false
        imageSuffix = ""
        labelSuffix = ""
        onError = "fail"
    }

    public init(from decoder: Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(in: decoder, allowed: CodingKeys.self, context: "explain config")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        modelCard = try c.decodeIfPresent(String.self, forKey: .modelCard)
        input = try c.decode(String.self, forKey: .input)
        out = try c.decode(String.self, forKey: .out)
        method = try c.decode(String.self, forKey: .method)
        classes = try c.decodeIfPresent([String].self, forKey: .classes)
        layer = try c.decodeIfPresent(String.self, forKey: .layer)
        groups = try c.decodeIfPresent(String.self, forKey: .groups)
        grid = try c.decodeIfPresent(String.self, forKey: .grid)
        superpixels = try c.decodeIfPresent(Int.self, forKey: .superpixels)
        compactness = try c.decodeIfPresent(Double.self, forKey: .compactness)
        superpixelBands = try c.decodeIfPresent(String.self, forKey: .superpixelBands)
        composite = try c.decodeIfPresent([Int].self, forKey: .composite)
        baseline = try c.decodeIfPresent(String.self, forKey: .baseline) ?? "mean"
        background = try c.decodeIfPresent(String.self, forKey: .background)
        backgroundCount = try c.decodeIfPresent(Int.self, forKey: .backgroundCount)
        samples = try c.decodeIfPresent(Int.self, forKey: .samples) ?? 256
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? 50
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        target = try c.decodeIfPresent(String.self, forKey: .target) ?? "predicted"
        labels = try c.decodeIfPresent(String.self, forKey: .labels)
        batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? 8
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
        shard = try c.decodeIfPresent(String.self, forKey: .shard)
        sanity = try c.decodeIfPresent(Bool.self, forKey: .sanity) ?? false
        imageSuffix = try c.decodeIfPresent(String.self, forKey: .imageSuffix) ?? ""
        labelSuffix = try c.decodeIfPresent(String.self, forKey: .labelSuffix) ?? ""
        labelRemap = try c.decodeIfPresent([String: Int].self, forKey: .labelRemap)
        ignoreIndex = try c.decodeIfPresent(Int.self, forKey: .ignoreIndex)
        onError = try c.decodeIfPresent(String.self, forKey: .onError) ?? "fail"
        cog = try c.decodeIfPresent(Bool.self, forKey: .cog) ?? true
        maxFailures = try c.decodeIfPresent(Int.self, forKey: .maxFailures)
        classFolders = try c.decodeIfPresent(Bool.self, forKey: .classFolders) ?? false
        allowUnlabelled = try c.decodeIfPresent(Bool.self, forKey: .allowUnlabelled) ?? false
        sources = try c.decodeIfPresent([String: String].self, forKey: .sources) ?? [:]
    }

    /// The failure policy of `on_error` and `max_failures`.
    public func failurePolicy(source: String = "explain settings") throws(PipelineError) -> FailurePolicy {
        try FailurePolicy(onError: onError, maxFailures: maxFailures, source: source)
    }

    /// The tiles (and labels) of the run, listed and paired as evaluation does.
    public func sampleSource() throws(PipelineError) -> SampleSourceOptions {
        var options = SampleSourceOptions(images: input, labels: labels, imageSuffix: imageSuffix, labelSuffix: labelSuffix,
                                          labelRemap: try SampleSourceOptions.labelRemap(fromConfig: labelRemap),
                                          ignoreIndex: ignoreIndex, classFolders: classFolders, allowUnlabelled: allowUnlabelled)
        options.keepUnlabelled = onError == FailurePolicy.Mode.skip.rawValue
        options.sources = sources
        return options
    }

    /// The method, once `validate` has accepted its name.
    public var attributionMethod: AttributionMethod? { AttributionMethod(rawValue: method) }

    /// Range checks that decoding cannot express; each names its key.
    public func validate(source: String = "explain settings") throws(PipelineError) {
        func fail(_ key: CodingKeys, _ why: String) -> PipelineError { .usage("\(source): key '\(key.rawValue)' \(why)") }
        if attributionMethod == nil { throw fail(.method, "is '\(method)'; use one of \(AttributionMethod.names)") }
        if samples < 2 || samples > 1_000_000 { throw fail(.samples, "must be between 2 and 1000000, got \(samples)") }
        if steps < 1 || steps > 10_000 { throw fail(.steps, "must be between 1 and 10000, got \(steps)") }
        if batch < 1 || batch > 1024 { throw fail(.batch, "must be between 1 and 1024, got \(batch)") }
        if let threads, threads < 1 || threads > 1024 { throw fail(.threads, "must be between 1 and 1024, got \(threads)") }
        do { _ = try TargetRegion(parsing: target) } catch { throw fail(.target, error.description) }
        _ = try failurePolicy(source: source)
        if let labelRemap, let bad = labelRemap.keys.first(where: { Int($0) == nil }) {
            throw fail(.labelRemap, "maps '\(bad)', which is not an integer label value")
        }
        if let composite, (composite.count != 1 && composite.count != 3) || composite.contains(where: { $0 < 1 }) {
            throw fail(.composite, "must list 1 or 3 channel positions (1-based), got \(composite)")
        }
        try validateBackground(fail)
        if let grid, parsedGrid(grid) == nil { throw fail(.grid, "is '\(grid)'; write ROWSxCOLUMNS, e.g. 2x2") }
        try validateSuperpixels(fail)
        // Spatial cells shape SHAP features; a CAM map has none, so asking for cells is a mistake.
        if isCAM, grid != nil || superpixels != nil {
            throw fail(grid != nil ? .grid : .superpixels,
                       "applies to the SHAP family and integrated gradients only; '\(method)' maps a layer's activations, not features")
        }
    }

    /// Default and largest accepted `background_count`.
    public static let defaultBackgroundCount = 16
    public static let maximumBackgroundCount = 1_000

    /// `deepshap` needs background tiles; only it and `gradient-shap` take them.
    private func validateBackground(_ fail: (CodingKeys, String) -> PipelineError) throws(PipelineError) {
        let method = attributionMethod
        if method == .deepshap, background == nil {
            throw fail(.background, "is missing: deepshap averages DeepLIFT over background tiles; give --background "
                       + "(a GeoTIFF, directory, glob or list file), or use --method deeplift with one --baseline")
        }
        if background != nil, method != .deepshap, method != .gradientShap {
            throw fail(.background, "applies to deepshap and gradient-shap only, not '\(self.method)'")
        }
        if let backgroundCount {
            guard (1...Self.maximumBackgroundCount).contains(backgroundCount) else {
                throw fail(.backgroundCount, "must be between 1 and \(Self.maximumBackgroundCount), got \(backgroundCount)")
            }
            guard background != nil else { throw fail(.backgroundCount, "applies to background tiles only; add --background") }
        }
    }

    /// Largest accepted `superpixels` target.
    public static let maximumSuperpixels = 10_000

    /// The superpixel keys: a positive target, no grid at the same time, a positive compactness,
    /// and compactness or bands only together with a target.
    private func validateSuperpixels(_ fail: (CodingKeys, String) -> PipelineError) throws(PipelineError) {
        if let superpixels {
            guard (1...Self.maximumSuperpixels).contains(superpixels) else {
                throw fail(.superpixels, "must be between 1 and \(Self.maximumSuperpixels), got \(superpixels)")
            }
            if grid != nil {
                throw fail(.superpixels, "cannot be combined with key 'grid': both choose the spatial cells; give --grid or --superpixels, not both")
            }
        }
        if let compactness {
            guard compactness > 0, compactness.isFinite, compactness <= 1e6 else {
                throw fail(.compactness, "must be a number above 0 (and at most 1e6), got \(compactness)")
            }
            guard superpixels != nil else { throw fail(.compactness, "applies to superpixel cells only; add --superpixels N") }
        }
        if let superpixelBands {
            guard ["all", "composite"].contains(superpixelBands) else {
                throw fail(.superpixelBands, "is '\(superpixelBands)'; use all or composite")
            }
            guard superpixels != nil else { throw fail(.superpixelBands, "applies to superpixel cells only; add --superpixels N") }
        }
    }

    /// `RxC` as (rows, columns), both >= 1.
    public func parsedGrid(_ text: String) -> (rows: Int, columns: Int)? {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 1, parts[1] >= 1 else { return nil }
        return (parts[0], parts[1])
    }

    public var isCAM: Bool { CAMMethod(rawValue: method) != nil }
}
