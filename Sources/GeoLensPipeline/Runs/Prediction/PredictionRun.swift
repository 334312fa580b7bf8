public import Foundation
public import GeoLensGeo
import GeoLensEval
import GeoLensNN
import GeoLensReport
import GeoLensTensor

/// Settings of a prediction run (`geolens predict`).
public struct PredictionSettings: Sendable {
    public enum Blend: String, Sendable, CaseIterable {
        case hann, gaussian, uniform
    }

    /// Checkpoint path and optional model card.
    public var model: String
    public var modelCard: String?
    /// A scene, a directory of scenes, a glob or a list file.
    public var input: String
    public var out: String
    /// Window size (default: the card's tile_size, else 256) and overlap (the card's, else 64 or a quarter window).
    public var tile: Int?
    public var overlap: Int?
    public var batch: Int
    public var threads: Int?
    public var blend: Blend
    public var probabilities: Bool
    /// `I/N` over the scenes (default: the scheduler's variables, else all).
    public var shard: String?
    /// What a scene that cannot be read or predicted does (`skip` records it in `failed_scenes.json`).
    public var failurePolicy: FailurePolicy = .fail
    /// Cloud-Optimized GeoTIFF (default) or plain GeoTIFF (`--no-cog`).
    public var rasterFormat: RasterOutputFormat = .cloudOptimized
    /// Named input sources for a multi-input card (`--source NAME=PATH`): each window reads
    /// every raster source's window (warped onto it when off the scene's grid).
    public var sources: [String: String] = [:]

    public init(model: String, modelCard: String? = nil, input: String, out: String, tile: Int? = nil,
                overlap: Int? = nil, batch: Int = 4, threads: Int? = nil, blend: Blend = .hann,
                probabilities: Bool = false, shard: String? = nil) {
        self.model = model
        self.modelCard = modelCard
        self.input = input
        self.out = out
        self.tile = tile
        self.overlap = overlap
        self.batch = batch
        self.threads = threads
        self.blend = blend
        self.probabilities = probabilities
        self.shard = shard
    }
}

/// Predicts scenes of any size: each scene is streamed through the model in overlapping windows
/// whose class probabilities are blended with a tapering weight, so memory stays bounded by one
/// row of windows and seams vanish. Writes `<stem>_pred.tif`, `<stem>_entropy.tif`, with
/// `probabilities` `<stem>_prob.tif` (Cloud-Optimized unless `rasterFormat` says plain), the QGIS
/// styles `<stem>_pred.qml` and `<stem>_entropy.qml`, and the labelled quicklook `<stem>_pred.png`
/// (class map, class legend, scale bar) per scene into `out`.
public struct PredictionRun: Sendable {
    /// One predicted scene.
    public struct Scene: Sendable {
        public let input: String
        public let width: Int
        public let height: Int
        public let windows: Int
        public let outputs: [String]
    }

    /// A scene skipped under `on_error: skip`.
    public struct FailedScene: Sendable, Codable {
        public let input: String
        public let error: String
    }

    public let settings: PredictionSettings
    public var progress: RunProgress
    /// Scenes skipped by the last `run()`.
    public private(set) var failures: [FailedScene] = []
    public var environment: [String: String]

    public init(settings: PredictionSettings, progress: RunProgress = .silent(label: "predict", unit: "windows"),
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.settings = settings
        self.progress = progress
        self.environment = environment
    }

    /// The scenes of this shard, in name order.
    public func scenes() throws(PipelineError) -> [TilePair] {
        let dataset = try PipelineError.wrapping { try TileDataset(images: settings.input) }
        let shard = try Shard.resolve(settings.shard, environment: environment)
        let selected = dataset.pairs(in: shard)
        guard !selected.isEmpty else {
            throw .usage("shard \(shard) of \(settings.input) holds no scenes (\(dataset.pairs.count) in all); use fewer shards")
        }
        return selected
    }

    /// For a multi-input card, reads every source's window (stacked inputs and their joint validity).
    static func windowReader(card: ModelCard, sources: InputSources, file: TilePair,
                             raster: Raster) -> (@Sendable (RasterWindow) throws -> RasterBlock)? {
        guard card.inputs != nil else { return nil }
        return { (window: RasterWindow) throws -> RasterBlock in
            let (inputs, validity) = try sources.read(card: card, file: file, tile: raster, window: window)
            let values = Tensor.concatenate(inputs.map(\.values), alongAxis: 0)
            return RasterBlock(values: values, validity: validity, window: window, bands: Array(1...values.shape[0]))
        }
    }

    @discardableResult
    public mutating func run() throws(PipelineError) -> [Scene] {
        failures = []
        if settings.batch < 1 { throw .usage("predict: batch must be at least 1, got \(settings.batch)") }
        if let threads = settings.threads { Parallel.setThreadCount(threads) }
        return try run(session: try ModelSession.load(checkpoint: settings.model, card: settings.modelCard))
    }

    /// Runs with a loaded model (tile classifiers predict through `TilePredictionRun`).
    @discardableResult
    public mutating func run(session: ModelSession) throws(PipelineError) -> [Scene] {
        failures = []
        if settings.batch < 1 { throw .usage("predict: batch must be at least 1, got \(settings.batch)") }
        try session.require([.segmentation], for: "predict")
        let card = session.card
        let tileSize = settings.tile ?? card.tileSize ?? 256
        let overlap = settings.overlap ?? card.overlap ?? min(64, tileSize / 4)
        guard tileSize >= 8 else { throw .usage("the window size must be at least 8, got \(tileSize)") }
        guard overlap >= 0, overlap < tileSize else {
            throw .usage("the overlap \(overlap) must be at least 0 and smaller than the window size \(tileSize)")
        }
        let files = try scenes()
        let inputSources = try InputSources(settings.sources.mapValues(FileSystem.absolute))
        try inputSources.check(card: card)
        try FileSystem.createDirectory(URL(fileURLWithPath: settings.out))
        let colorTable = ClassPalette(classCount: session.classCount).colorTable
        var results: [Scene] = []
        var failed: [FailedScene] = []
        for file in files {
            let attempt = try settings.failurePolicy.attempt(file.image, failuresSoFar: failed.count, record: { reason in
                failed.append(FailedScene(input: file.image, error: reason))
                progress.note("predict: skipping \(file.image): \(reason)")
            }) { () throws(PipelineError) -> Scene in try PipelineError.wrapping(context: file.image) { () throws -> Scene in
                let raster = try Raster(path: file.image)
                var bands: [Int] = []
                if card.inputs == nil { bands = try BandSelection.bands(for: card, raster: raster) ?? Array(1...raster.bandCount) }
                try session.checkChannels(card.inputLayout?.channelCount ?? bands.count, source: file.image)
                try session.checkInputSize(height: tileSize, width: tileSize, source: file.image)
                let weight: BlendWeight = switch settings.blend {
                case .gaussian: .gaussian(sigmaFraction: 0.125)
                case .uniform: .uniform
                case .hann: .hann
                }
                let options = ScenePredictionOptions(tileSize: tileSize, overlap: overlap, bands: bands.isEmpty ? nil : bands,
                                                     inputScale: Float(card.inputScale), inputOffset: Float(card.inputOffset),
                                                     blend: weight, batchSize: settings.batch)
                let reader = Self.windowReader(card: card, sources: inputSources, file: file, raster: raster)
                let predictor = try ScenePredictor(raster: raster, options: options, reader: reader)
                GDALSettings.reserveBlockCache(forStreaming: raster, windowRows: tileSize)
                let windows = predictor.tiler.rowCount * predictor.tiler.columnStarts.count
                let stem = URL(fileURLWithPath: file.image).deletingPathExtension().lastPathComponent
                let sceneProgress = files.count > 1 ? progress.relabelled("predict \(stem)") : progress
                var done = 0
                sceneProgress.report(.started(done: 0, total: windows))
                let paths = try predictor.predict(to: settings.out, stem: stem, classNames: session.classNames,
                                                  classColors: colorTable, writeProbabilities: settings.probabilities,
                                                  classOptions: settings.rasterFormat.classes,
                                                  continuousOptions: settings.rasterFormat.continuous) { batch in
                    try RunInterruption.checkpoint("\(results.count) of \(files.count) scenes are finished in \(settings.out); "
                                                   + "\(file.image) was left unwritten; run the command again (finished scenes are overwritten)")
                    defer {
                        done += batch.shape[0]
                        sceneProgress.report(.advanced(done: done, total: windows))
                    }
                    return session.probabilities(batch)
                }
                let styles = [try RasterStyles.classes(besides: paths.classIds, classNames: session.classNames),
                              try RasterStyles.entropy(besides: paths.entropy, classCount: session.classCount)]
                let quicklook = (settings.out as NSString).appendingPathComponent("\(stem)_pred.png")
                try PredictionQuicklookFile.write(classRaster: paths.classIds, to: quicklook, scene: stem,
                                                  model: URL(fileURLWithPath: settings.model).lastPathComponent,
                                                  classNames: session.classNames)
                sceneProgress.report(.finished(done: done, total: windows))
                return Scene(input: file.image, width: raster.width, height: raster.height, windows: windows,
                             outputs: [paths.classIds, paths.entropy] + (paths.probabilities.map { [$0] } ?? []) + styles + [quicklook])
            } }
            if let attempt { results.append(attempt) }
        }
        failures = failed
        if !failed.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let url = URL(fileURLWithPath: settings.out).appendingPathComponent("failed_scenes.json")
            try PipelineError.wrapping(context: url.path) { try AtomicFile.write(try encoder.encode(failed), to: url) }
        }
        return results
    }
}
