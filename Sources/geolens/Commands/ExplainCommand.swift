import ArgumentParser
import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensPipeline

/// `geolens explain`: attribution maps (CAM methods) and feature-group Shapley values (SHAP
/// family) per tile and class, written as Float32 GeoTIFFs and `attributions.json`.
struct ExplainCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a segmentation model's decisions per tile and class (CAM, SHAP and DeepLIFT methods).",
        discussion: """
            Settings come from --config (JSON or YAML), then --set KEY=VALUE, then flags. Tiles and labels pair as in
            eval (image_suffix, label_suffix, label_remap, ignore_index keys). --shard I/N (or the scheduler's variables,
            as for eval) explains one shard and writes attributions-shard-I-of-N.json; `geolens merge` combines shards.
            """)

    @Option(help: "Checkpoint (safetensors, PyTorch zip, ONNX) with a model card sidecar.") var model: String?
    @Option(name: .customLong("model-card"), help: "Model card when it is not the checkpoint's sidecar.") var modelCard: String?
    @Option(help: "A GeoTIFF, a directory of GeoTIFFs, a glob or a list file.") var input: String?
    @Option(help: "Output directory.") var out: String?
    @Option(help: ArgumentHelp(stringLiteral: AttributionMethod.names))
    var method: String?
    @Option(name: .customLong("class"), help: "Class name or index (repeatable); default: classes present in the prediction.")
    var classes: [String] = []
    @Option(help: "CAM layer (module path or ONNX tensor name); default: the deepest encoder feature map.") var layer: String?
    @Option(help: "Band groups, e.g. \"vis=1,2,3;nir=4;swir=5,6\"; default one group per band.") var groups: String?
    @Option(help: "Cross the groups with a ROWSxCOLUMNS grid of cells, e.g. 2x2.") var grid: String?
    // Unconditional parsing takes "-3" as the value, so a negative count gets the range error.
    @Option(parsing: .unconditional, help: "Cross the groups with about N SLIC superpixel cells instead of a grid.")
    var superpixels: Int?
    @Option(parsing: .unconditional, help: "SLIC compactness (default 10; larger gives more regular cells).")
    var compactness: Double?
    @Option(name: .customLong("superpixel-bands"), help: "Bands SLIC segments: all (default) or composite.")
    var superpixelBands: String?
    @Option(help: "Input channels (1-based) shown as R,G,B under the heatmaps, e.g. 4,3,2 for false colour.") var composite: String?
    @Option(help: "mean (per-band tile mean), zero, or a JSON file of raw per-band values.") var baseline: String?
    @Option(help: "Background tiles (GeoTIFF, directory, glob or list file): the references of deepshap (required) and gradient-shap.")
    var background: String?
    @Option(name: .customLong("background-count"), help: "At most N background tiles, evenly spaced (default 16).")
    var backgroundCount: Int?
    @Option(help: "Samples (kernel-shap coalitions, gradient-shap draws).") var samples: Int?
    @Option(help: "Integration steps (integrated-gradients).") var steps: Int?
    @Option(help: "Random seed.") var seed: UInt64?
    @Option(help: "predicted, label, tp, fp, fn, pixel:x,y or window:x,y,w,h.") var target: String?
    @Option(help: "Label directory (paired as in eval) for label/tp/fp/fn targets; a labels.csv for tile classifiers.") var labels: String?
    @Flag(name: .customLong("class-folders"), help: "Tile classifiers: tile classes from folder names (images/<class>/*.tif).") var classFolders = false
    @Flag(name: .customLong("allow-unlabelled"), help: "Tile classifiers: tiles without a labels.csv row are read unlabelled.") var allowUnlabelled = false
    @Option(help: "Inputs per forward pass.") var batch: Int?
    @Option(help: "Worker threads.") var threads: Int?
    @Option(help: "Explain only shard I (0-based) of N, e.g. 0/4.") var shard: String?
    @Option(name: .customLong("on-error"), help: "fail (default) or skip: record a tile that cannot be read or explained and go on.")
    var onError: String?
    @Option(name: .customLong("max-failures"), help: "With --on-error skip: stop once more tiles than this have failed.")
    var maxFailures: Int?
    @Flag(help: "Sanity checks per record: deletion/insertion AUC and cascading model randomization.") var sanity = false
    @Flag(name: .customLong("no-cog"), help: "Write plain GeoTIFF maps instead of Cloud-Optimized ones (config cog: false).")
    var noCOG = false
    @Option(name: .customLong("source"), help: "Bind a named input source of a multi-input card: NAME=PATH (a raster directory, one raster, or a CSV; repeatable).")
    var sources: [String] = []
    @Option(help: "Config file (JSON or YAML) with the same keys.") var config: String?
    @Option(name: .customLong("set"), help: "Override a config key, KEY=VALUE (repeatable).") var assignments: [String] = []

    func execute() throws {
        SignalHandling.install()
        var document = try ConfigDocument.resolve(file: config, assignments: assignments, flags: [
            ("model", model.map(JSONValue.string)), ("model_card", modelCard.map(JSONValue.string)),
            ("input", input.map(JSONValue.string)), ("out", out.map(JSONValue.string)),
            ("method", method.map(JSONValue.string)),
            ("classes", classes.isEmpty ? nil : .array(classes.map(JSONValue.string))),
            ("layer", layer.map(JSONValue.string)), ("groups", groups.map(JSONValue.string)),
            ("grid", grid.map(JSONValue.string)), ("superpixels", superpixels.map { .number(Double($0)) }),
            ("compactness", compactness.map(JSONValue.number)), ("superpixel_bands", superpixelBands.map(JSONValue.string)),
            ("composite", composite.map { .array($0.split(separator: ",").map { .number(Double(String($0).trimmingCharacters(in: .whitespaces)) ?? -1) }) }),
            ("baseline", baseline.map(JSONValue.string)), ("background", background.map(JSONValue.string)),
            ("background_count", backgroundCount.map { .number(Double($0)) }),
            ("samples", samples.map { .number(Double($0)) }), ("steps", steps.map { .number(Double($0)) }),
            ("seed", seed.map { .number(Double($0)) }), ("target", target.map(JSONValue.string)),
            ("labels", labels.map(JSONValue.string)),
            ("class_folders", classFolders ? .bool(true) : nil), ("allow_unlabelled", allowUnlabelled ? .bool(true) : nil), ("batch", batch.map { .number(Double($0)) }),
            ("threads", threads.map { .number(Double($0)) }), ("shard", shard.map(JSONValue.string)),
            ("sanity", sanity ? .bool(true) : nil), ("cog", noCOG ? .bool(false) : nil),
            ("on_error", onError.map(JSONValue.string)), ("max_failures", maxFailures.map { .number(Double($0)) }),
        ])
        try document.bindSources(sources)
        let settings = try document.decode(ExplanationSettings.self)
        try settings.validate(source: document.source)
        let result = try ExplanationRun(settings: settings, progress: StderrProgress.sink("explain")).run()
        let tiles = Set(result.records.map(\.tile)).count
        print("explained \(tiles) tile(s), \(result.records.count) result(s) -> \(settings.out)")
        if let failed = result.failedTiles {
            print("explain: \(failed.count) tile(s) failed and were skipped (failed_tiles in attributions.json)")
        }
    }
}
