import ArgumentParser
import Foundation
import GeoLensEval
import GeoLensNN
import GeoLensPipeline

/// `geolens eval`: metrics of a checkpoint on labelled GeoTIFF tiles (`EvaluationRun`).
struct EvalCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score a checkpoint on labelled GeoTIFF tiles (metrics.json, per_tile.csv, confusion.csv, state.json).",
        discussion: """
            Settings come from --config (JSON or YAML; see configs/eval.yaml), then --set KEY=VALUE, then flags.
            A run interrupted and restarted with the same arguments resumes from its journal.
            --shard I/N (or SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, JOB_COMPLETION_INDEX/GEOLENS_SHARD_COUNT)
            scores one shard of the tiles; `geolens merge` combines shard directories.
            """)

    @Option(help: "Config file (JSON or YAML).") var config: String?
    @Option(name: .customLong("set"), help: "Override a config value: KEY=VALUE (repeatable).") var overrides: [String] = []
    @Option(help: "Checkpoint (.safetensors, .pth/.pt/.ckpt, .onnx).") var model: String?
    @Option(name: .customLong("model-card"), help: "Model card (default: the checkpoint's sidecar M.json).") var modelCard: String?
    @Option(help: "Image directory, glob or list file (.txt, one path per line).") var images: String?
    @Option(help: "Label directory (paired by file stem), or for classification/multilabel cards a labels.csv (tile,label or tile,labels).") var labels: String?
    @Flag(name: .customLong("class-folders"), help: "Tile classes from folder names: images/<class>/*.tif (classification).") var classFolders = false
    @Flag(name: .customLong("allow-unlabelled"), help: "Score tiles without a row in labels.csv but leave them out of the metrics.") var allowUnlabelled = false
    @Option(name: .customLong("source"), help: "Bind a named input source of a multi-input card: NAME=PATH (a raster directory, one raster, or a CSV; repeatable).")
    var sources: [String] = []
    @Option(help: "Output directory.") var out: String?
    @Option(help: "Tiles per model call.") var batch: Int?
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "Evaluate shard I of N (0-based), e.g. 2/8.") var shard: String?
    @Option(name: .customLong("mc-dropout"), help: "MC-dropout passes for mutual information (0: off).") var mcDropout: Int?
    @Option(help: "Seed of bootstrap and MC dropout.") var seed: UInt64?
    @Flag(name: .customLong("write-predictions"), help: "Write predictions/<stem>_pred.tif and _entropy.tif (tile classifiers: predictions.csv and predictions.json).") var writePredictions = false
    @Flag(help: "Also write predictions/<stem>_prob.tif.") var probabilities = false
    @Flag(name: .customLong("no-cog"), help: "Write plain GeoTIFFs instead of Cloud-Optimized ones (config cog: false).")
    var noCOG = false
    @Option(name: .customLong("on-error"), help: "fail (default) or skip: record a tile that cannot be read, paired or scored and go on.")
    var onError: String?
    @Option(name: .customLong("max-failures"), help: "With --on-error skip: stop once more tiles than this have failed.")
    var maxFailures: Int?

    func execute() throws {
        SignalHandling.install()
        var document = try ConfigDocument.resolve(file: config, assignments: overrides, flags: [
            ("model", model.map(JSONValue.string)), ("model_card", modelCard.map(JSONValue.string)),
            ("images", images.map(JSONValue.string)), ("labels", labels.map(JSONValue.string)),
            ("out", out.map(JSONValue.string)), ("batch", batch.map { .number(Double($0)) }),
            ("threads", threads.map { .number(Double($0)) }), ("shard", shard.map(JSONValue.string)),
            ("mc_dropout", mcDropout.map { .number(Double($0)) }), ("seed", seed.map { .number(Double($0)) }),
            ("write_predictions", writePredictions || probabilities ? .bool(true) : nil),
            ("write_probabilities", probabilities ? .bool(true) : nil), ("cog", noCOG ? .bool(false) : nil),
            ("on_error", onError.map(JSONValue.string)), ("max_failures", maxFailures.map { .number(Double($0)) }),
            ("class_folders", classFolders ? .bool(true) : nil), ("allow_unlabelled", allowUnlabelled ? .bool(true) : nil),
        ])
        try document.bindSources(sources)
        let settings = try document.decode(EvaluationSettings.self)
        try settings.validate(source: document.source)
        let run = EvaluationRun(settings: settings, configRecord: document.root, progress: StderrProgress.sink("eval"))
        let report: MetricsReport
        switch try run.evaluate() {
        case .segmentation(let metrics):
            report = metrics
        case .tiles(let tiles):
            let (name, value) = tiles.headline
            print("eval: \(tiles.configuration.task.rawValue), \(tiles.tiles) tiles (\(tiles.unlabelledTiles) unlabelled); "
                  + "\(name) \(value.map { String(format: "%.4f", $0) } ?? "n/a")")
            print("eval: wrote \(settings.out)/metrics.json, per_tile.csv, confusion.csv, state.json, run.json, report.html"
                  + (settings.writePredictions ? ", predictions.csv, predictions.json" : ""))
            return
        }
        let miou = report.metrics.miou.map { String(format: "%.4f", $0) } ?? "n/a"
        let accuracy = report.metrics.overallAccuracy.map { String(format: "%.4f", $0) } ?? "n/a"
        print("eval: \(report.tiles) tiles, \(report.pixels) pixels scored, \(report.ignoredPixels) ignored; "
              + "mIoU \(miou), overall accuracy \(accuracy)")
        if !report.failedTiles.isEmpty {
            print("eval: \(report.failedTiles.count) tiles failed and were skipped (failed_tiles in metrics.json)")
        }
        print("eval: wrote \(settings.out)/metrics.json, per_tile.csv, confusion.csv, state.json, run.json, report.html")
    }
}
