import ArgumentParser
import Foundation
import GeoLensGeo
import GeoLensNN
import GeoLensTensor

/// `geolens predict`: class, entropy and (optionally) probability GeoTIFFs for one scene.
struct PredictCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict a scene of any size: <stem>_pred.tif, <stem>_entropy.tif, --probabilities: <stem>_prob.tif.",
        discussion: """
            The scene is streamed through the model in overlapping windows whose class probabilities are
            blended with a tapering weight, so memory stays bounded by one row of windows and seams vanish.
            """)

    @Option(help: "Checkpoint (.safetensors, .pth/.pt/.ckpt).") var model: String
    @Option(name: .customLong("model-card"), help: "Model card (default: the checkpoint's sidecar).") var modelCard: String?
    @Option(help: "Input raster (GeoTIFF or any GDAL raster).") var input: String
    @Option(help: "Output directory.") var out: String
    @Option(help: "Window size (default: the card's tile_size, else 256).") var tile: Int?
    @Option(help: "Overlap between windows (default: the card's overlap, else 64).") var overlap: Int?
    @Option(help: "Windows per model call.") var batch: Int = 4
    @Option(help: "Threads (default: all cores).") var threads: Int?
    @Option(help: "Blending weight: hann, gaussian or uniform.") var blend: String = "hann"
    @Flag(help: "Also write per-class probabilities.") var probabilities = false

    func validate() throws {
        if let tile, tile < 8 { throw ValidationError("--tile must be at least 8, got \(tile)") }
        if let overlap, overlap < 0 { throw ValidationError("--overlap must not be negative, got \(overlap)") }
        if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard ["hann", "gaussian", "uniform"].contains(blend) else {
            throw ValidationError("--blend must be hann, gaussian or uniform, got '\(blend)'")
        }
    }

    func execute() throws {
        if let threads { Parallel.setThreadCount(threads) }
        let loaded = try ModelLoading.load(checkpoint: URL(fileURLWithPath: model), card: modelCard)
        let runner = ModelRunner(loaded)
        let card = loaded.card
        let tileSize = tile ?? card.tileSize ?? 256
        let overlap = overlap ?? card.overlap ?? min(64, tileSize / 4)
        guard overlap < tileSize else { throw Failure.usage("--overlap \(overlap) must be smaller than --tile \(tileSize)") }
        let raster = try Raster(path: input)
        let bands = card.bands ?? Array(1...raster.bandCount)
        if let bad = bands.first(where: { $0 > raster.bandCount }) {
            throw Failure.runtime("\(input) has \(raster.bandCount) bands but the model card selects band \(bad)")
        }
        guard bands.count == loaded.model.inChannels else {
            throw Failure.runtime("\(input): the model expects \(loaded.model.inChannels) input channels but \(bands.count) bands are selected; set 'bands' in the model card")
        }
        let weight: BlendWeight = switch blend {
        case "gaussian": .gaussian(sigmaFraction: 0.125)
        case "uniform": .uniform
        default: .hann
        }
        let options = ScenePredictionOptions(tileSize: tileSize, overlap: overlap, bands: bands,
                                             inputScale: Float(card.inputScale), inputOffset: Float(card.inputOffset),
                                             blend: weight, batchSize: batch)
        let predictor = try ScenePredictor(raster: raster, options: options)
        try createDirectory(URL(fileURLWithPath: out))
        let stem = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
        let windows = predictor.tiler.rowCount * predictor.tiler.columnStarts.count
        let progress = ProgressReporter("predict", total: windows, unit: "windows")
        let paths = try predictor.predict(to: out, stem: stem, classNames: loaded.classNames,
                                          writeProbabilities: probabilities) { batch in
            defer { progress.advance(by: batch.shape[0]) }
            return runner.probabilities(batch)
        }
        progress.finish()
        print("predict: \(raster.width) x \(raster.height) pixels in \(windows) windows of \(tileSize) (overlap \(overlap))")
        print("predict: wrote " + ([paths.classIds, paths.entropy] + (paths.probabilities.map { [$0] } ?? [])).joined(separator: ", "))
    }
}
