import ArgumentParser
import Foundation
import GeoLensPipeline
import GeoLensTensor

/// `geolens predict`: class, entropy and (optionally) probability GeoTIFFs per scene (`PredictionRun`).
struct PredictCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict scenes of any size: <stem>_pred.tif, <stem>_entropy.tif, --probabilities: <stem>_prob.tif.",
        discussion: """
            Each scene is streamed through the model in overlapping windows whose class probabilities are
            blended with a tapering weight, so memory stays bounded by one row of windows and seams vanish.
            --input takes one raster, a directory, a glob or a list file; --shard I/N (or the scheduler's
            variables, as for eval) predicts one shard of the scenes.
            """)

    @Option(help: "Checkpoint (.safetensors, .pth/.pt/.ckpt, .onnx).") var model: String
    @Option(name: .customLong("model-card"), help: "Model card (default: the checkpoint's sidecar).") var modelCard: String?
    @Option(help: "Input raster, directory of rasters, glob or list file.") var input: String
    @Option(help: "Output directory.") var out: String
    @Option(name: .customLong("source"), help: "Bind a named input source of a multi-input card: NAME=PATH (a raster directory paired by scene stem, one raster, or a CSV; repeatable).")
    var sources: [String] = []
    @Option(help: "Window size (default: the card's tile_size, else 256).") var tile: Int?
    @Option(help: "Overlap between windows (default: the card's overlap, else 64).") var overlap: Int?
    @Option(help: "Windows per model call.") var batch: Int = 4
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "Blending weight: hann, gaussian or uniform.") var blend: String = "hann"
    @Option(help: "Predict shard I of N (0-based) of the scenes, e.g. 0/4.") var shard: String?
    @Flag(help: "Also write per-class probabilities.") var probabilities = false
    @Flag(name: .customLong("no-cog"), help: "Write plain GeoTIFFs instead of Cloud-Optimized ones.") var noCOG = false
    @Option(name: .customLong("on-error"), help: "fail (default) or skip: record a scene that cannot be predicted in failed_scenes.json and go on.")
    var onError: String = "fail"
    @Option(name: .customLong("max-failures"), help: "With --on-error skip: stop once more scenes than this have failed.")
    var maxFailures: Int?

    func validate() throws {
        if let tile, tile < 8 { throw ValidationError("--tile must be at least 8, got \(tile)") }
        if let overlap, overlap < 0 { throw ValidationError("--overlap must not be negative, got \(overlap)") }
        if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard PredictionSettings.Blend(rawValue: blend) != nil else {
            throw ValidationError("--blend must be hann, gaussian or uniform, got '\(blend)'")
        }
    }

    func execute() throws {
        SignalHandling.install()
        var settings = PredictionSettings(model: model, modelCard: modelCard, input: input, out: out, tile: tile,
                                          overlap: overlap, batch: batch, threads: threads,
                                          blend: PredictionSettings.Blend(rawValue: blend) ?? .hann,
                                          probabilities: probabilities, shard: shard)
        settings.failurePolicy = try FailurePolicy(onError: onError, maxFailures: maxFailures, source: "predict")
        settings.rasterFormat = RasterOutputFormat(cloudOptimized: !noCOG)
        settings.sources = try InputSources.parse(sources)
        if let threads { Parallel.setThreadCount(threads) }
        let session = try ModelSession.load(checkpoint: model, card: modelCard)
        if session.task.scoresTiles {
            let result = try TilePredictionRun(settings: settings, progress: StderrProgress.sink("predict", unit: "tiles"))
                .run(session: session)
            print("predict: \(result.state.configuration.task.rawValue), \(result.state.tiles.count) tiles"
                  + (result.state.failedTiles.isEmpty ? "" : " (\(result.state.failedTiles.count) failed and were skipped)"))
            print("predict: wrote " + result.outputs.joined(separator: ", "))
            return
        }
        var run = PredictionRun(settings: settings, progress: StderrProgress.sink("predict", unit: "windows"))
        let scenes = try run.run(session: session)
        for scene in scenes {
            print("predict: \(scene.input): \(scene.width) x \(scene.height) pixels in \(scene.windows) windows")
            print("predict: wrote " + scene.outputs.joined(separator: ", "))
        }
        if !run.failures.isEmpty {
            print("predict: \(run.failures.count) scene(s) failed and were skipped (\(out)/failed_scenes.json)")
        }
    }
}
