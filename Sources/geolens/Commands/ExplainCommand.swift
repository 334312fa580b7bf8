import ArgumentParser
import Foundation
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensTensor

/// `geolens explain`: attribution maps (CAM methods) and feature-group Shapley values (SHAP
/// family) per tile and class, written as Float32 GeoTIFFs and `attributions.json`.
struct ExplainCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a segmentation model's decisions per tile and class (CAM and SHAP methods).")

    @Option(help: "Checkpoint (safetensors, PyTorch zip, ONNX) with a model card sidecar.") var model: String?
    @Option(name: .customLong("model-card"), help: "Model card when it is not the checkpoint's sidecar.") var modelCard: String?
    @Option(help: "A GeoTIFF, a directory of GeoTIFFs or a glob.") var input: String?
    @Option(help: "Output directory.") var out: String?
    @Option(help: "gradcam, gradcam++, hirescam, layercam, shap-exact, kernel-shap, gradient-shap, integrated-gradients.")
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
    @Option(help: "Samples (kernel-shap coalitions, gradient-shap draws).") var samples: Int?
    @Option(help: "Integration steps (integrated-gradients).") var steps: Int?
    @Option(help: "Random seed.") var seed: UInt64?
    @Option(help: "predicted, label, tp, fp, fn, pixel:x,y or window:x,y,w,h.") var target: String?
    @Option(help: "Label directory (files named like the tiles) for label/tp/fp/fn targets.") var labels: String?
    @Option(help: "Inputs per forward pass.") var batch: Int?
    @Option(help: "Worker threads.") var threads: Int?
    @Option(help: "Explain only shard I (0-based) of N, e.g. 0/4.") var shard: String?
    @Flag(help: "Sanity checks per record: deletion/insertion AUC and cascading model randomization.") var sanity = false
    @Option(help: "Config file (JSON or YAML) with the same keys.") var config: String?
    @Option(name: .customLong("set"), help: "Override a config key, KEY=VALUE (repeatable).") var assignments: [String] = []

    func execute() throws {
        let settings = try resolvedConfig()
        if let threads = settings.threads { Parallel.setThreadCount(threads) }
        let loaded: LoadedModel
        do {
            loaded = try ModelLoader.load(checkpoint: URL(fileURLWithPath: settings.model),
                                          card: settings.modelCard.map { URL(fileURLWithPath: $0) }, seed: settings.seed)
        } catch {
            throw Failure.runtime("cannot load model \(settings.model): \(error)")
        }
        let shard = try settings.shard.map { text in
            do { return try Shard(parsing: text) } catch { throw Failure.usage("\(error)") }
        } ?? .all
        let tiles = try ExplainInputs.tiles(settings.input).filter { shard.contains(relativePath: ($0 as NSString).lastPathComponent) }
        try FileManager.default.createDirectory(atPath: settings.out, withIntermediateDirectories: true)
        let runner = ExplainRunner(config: settings, loaded: loaded)
        let progress = ProgressReporter("explain", total: tiles.count)
        var records: [ExplainRunner.Record] = []
        for tile in tiles {
            do {
                records += try runner.explain(tile: tile)
            } catch let error as ExplainError {
                throw Failure.runtime("\(tile): \(error.description)")
            }
            progress.advance()
        }
        progress.finish()
        try writeAttributions(records, settings: settings, loaded: loaded)
        print("explained \(tiles.count) tile(s), \(records.count) result(s) -> \(settings.out)")
    }

    /// Config file, then flags, then `--set` overrides; decoded strictly and validated.
    private func resolvedConfig() throws -> ExplainConfig {
        var document = try ConfigDocument(file: config.map { URL(fileURLWithPath: $0) })
        let flags: [(String, JSONValue?)] = [
            ("model", model.map(JSONValue.string)), ("model_card", modelCard.map(JSONValue.string)),
            ("input", input.map(JSONValue.string)), ("out", out.map(JSONValue.string)),
            ("method", method.map(JSONValue.string)),
            ("classes", classes.isEmpty ? nil : .array(classes.map(JSONValue.string))),
            ("layer", layer.map(JSONValue.string)), ("groups", groups.map(JSONValue.string)),
            ("grid", grid.map(JSONValue.string)), ("superpixels", superpixels.map { .number(Double($0)) }),
            ("compactness", compactness.map(JSONValue.number)), ("superpixel_bands", superpixelBands.map(JSONValue.string)),
            ("composite", composite.map { .array($0.split(separator: ",").map { .number(Double(String($0).trimmingCharacters(in: .whitespaces)) ?? -1) }) }), ("baseline", baseline.map(JSONValue.string)),
            ("samples", samples.map { .number(Double($0)) }), ("steps", steps.map { .number(Double($0)) }),
            ("seed", seed.map { .number(Double($0)) }), ("target", target.map(JSONValue.string)),
            ("labels", labels.map(JSONValue.string)), ("batch", batch.map { .number(Double($0)) }),
            ("threads", threads.map { .number(Double($0)) }), ("shard", shard.map(JSONValue.string)),
            ("sanity", sanity ? .bool(true) : nil),
        ]
        for (key, value) in flags { document.override(key, value) }
        for assignment in assignments { try document.set(assignment) }
        let settings = try document.decode(ExplainConfig.self)
        try settings.validate(source: document.source)
        return settings
    }

    private func writeAttributions(_ records: [ExplainRunner.Record], settings: ExplainConfig, loaded: LoadedModel) throws {
        /// How the spatial cells were asked for (per-tile counts are in the records).
        struct Cells: Encodable {
            let kind: ExplainCells.Kind
            let grid: String?
            let superpixels: Int?
            let compactness: Double?
            let bands: String?
        }
        struct Document: Encodable {
            let model: String
            let method: String
            let baseline: String?
            let cells: Cells?
            let classes: [String]
            let records: [ExplainRunner.Record]
        }
        var cells: Cells?
        if !settings.isCAM, let grid = settings.grid {
            cells = Cells(kind: .grid, grid: grid, superpixels: nil, compactness: nil, bands: nil)
        } else if !settings.isCAM, let superpixels = settings.superpixels {
            cells = Cells(kind: .superpixels, grid: nil, superpixels: superpixels, compactness: settings.compactness ?? 10,
                          bands: settings.superpixelBands ?? "all")
        }
        let document = Document(model: settings.model, method: settings.method, baseline: settings.isCAM ? nil : settings.baseline,
                                cells: cells, classes: loaded.classNames, records: records)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let path = (settings.out as NSString).appendingPathComponent("attributions.json")
        try encoder.encode(document).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
