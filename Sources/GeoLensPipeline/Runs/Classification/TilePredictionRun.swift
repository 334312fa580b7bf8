public import Foundation
public import GeoLensEval
import GeoLensNN
import GeoLensGeo
import GeoLensTensor

/// `geolens predict` for a tile classifier (a card with `task: classification` or `multilabel`):
/// every tile of `input` (a folder, glob or list file, as `eval`'s images) gets its class
/// probabilities and predicted class (or, for multi-label, each class above its threshold).
///
/// Writes into `out`:
/// - `predictions.csv`: the columns of `eval`'s `per_tile.csv` with the label columns empty
///   (`tile,label,predicted,confidence,correct,p_<class>...`, or for multi-label
///   `tile,labels,predicted,exact_match,p_<class>...`), one row per tile in tile order;
/// - `predictions.json`: `task`, `classes`, `thresholds` (multi-label), `model` (path, sha256),
///   `tiles` (per tile: `tile`, `predicted` (a class name, or a list of names), `confidence` (the
///   top probability), `probabilities` by class name) and, when any, `failed_tiles`.
/// Under `on_error: skip` an unreadable tile is recorded with its error and the rest go on.
public struct TilePredictionRun: Sendable {
    public let settings: PredictionSettings
    public var progress: RunProgress
    public var environment: [String: String]

    public init(settings: PredictionSettings, progress: RunProgress = .silent(label: "predict"),
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.settings = settings
        self.progress = progress
        self.environment = environment
    }

    /// What a tile prediction run produced.
    public struct Result: Sendable {
        public var state: ClassificationState
        public var outputs: [String]
    }

    /// Loads the checkpoint and runs.
    @discardableResult
    public func run() throws(PipelineError) -> Result {
        if let threads = settings.threads { Parallel.setThreadCount(threads) }
        return try run(session: try ModelSession.load(checkpoint: settings.model, card: settings.modelCard))
    }

    /// Runs with a loaded model.
    public func run(session: ModelSession) throws(PipelineError) -> Result {
        try session.require([.classification, .multilabel], for: "tile prediction")
        if settings.batch < 1 { throw .usage("predict: batch must be at least 1, got \(settings.batch)") }
        if settings.probabilities {
            throw .usage("--probabilities writes probability rasters of segmentation models; a tile classifier's "
                         + "probabilities are in predictions.csv and predictions.json")
        }
        var options = SampleSourceOptions(images: settings.input)
        options.sources = settings.sources
        let source = try SampleSource(options.absolute, task: session.task)
        let shard = try Shard.resolve(settings.shard, environment: environment)
        let files = try source.files(in: shard)
        let out = URL(fileURLWithPath: settings.out)
        try FileSystem.createDirectory(out)
        let checkpoint = try session.identity()
        let task: TileTask = session.task == .multilabel ? .multilabel : .classification
        let configuration = ClassificationConfiguration(
            task: task, classes: session.classNames,
            thresholds: task == .multilabel ? session.card.decisionThreshold.values(classCount: session.classCount) : [])
        var state = ClassificationState(configuration: configuration,
                                        model: ModelIdentity(path: checkpoint.path, sha256: checkpoint.sha256, format: checkpoint.format))
        var done = 0
        var index = 0
        while index < files.count {
            try RunInterruption.checkpoint("\(done) of \(files.count) tiles were predicted; run the command again")
            var samples: [Sample] = []
            while index < files.count, samples.count < settings.batch {
                let file = files[index]
                index += 1
                let sample = try settings.failurePolicy.attempt(file.relativePath, failuresSoFar: state.failedTiles.count,
                                                                record: { (reason: String) throws(PipelineError) in
                    state.recordFailure(tile: file.relativePath, reason: reason)
                    progress.note("predict: skipping \(file.relativePath): \(reason)")
                    done += 1
                }) { () throws(PipelineError) -> Sample in
                    let sample = try source.read(file, card: session.card)
                    try session.checkChannels(sample.stacked.shape[0], source: file.image)
                    try session.checkInputSize(height: sample.height, width: sample.width, source: file.image)
                    return sample
                }
                if let sample { samples.append(sample) }
            }
            // Consecutive tiles of one size run as one batch.
            var start = 0
            while start < samples.count {
                var end = start + 1
                while end < samples.count, samples[end].image.shape == samples[start].image.shape { end += 1 }
                let group = Array(samples[start..<end])
                let values = session.probabilities(Tensor.stacked(group.map(\.image))).scalars
                let k = session.classCount
                for (i, sample) in group.enumerated() {
                    state.record(TileScores(probabilities: Array(values[(i * k)..<((i + 1) * k)]), target: nil), tile: sample.id)
                }
                start = end
            }
            done += samples.count
            progress.report(.advanced(done: done, total: files.count))
        }
        progress.report(.finished(done: done, total: files.count))
        let csv = out.appendingPathComponent("predictions.csv"), json = out.appendingPathComponent("predictions.json")
        try PipelineError.wrapping(context: csv.path) { try AtomicFile.write(Data(ClassificationOutputs.perTile(state).utf8), to: csv) }
        try PipelineError.wrapping(context: json.path) { try AtomicFile.write(try Self.document(state), to: json) }
        return Result(state: state, outputs: [csv.path, json.path])
    }

    /// The predictions.json bytes of `state`.
    static func document(_ state: ClassificationState) throws -> Data {
        let configuration = state.configuration
        let classes = configuration.classes
        var tiles: [JSONValue] = []
        for id in state.sortedTileIDs {
            let scores = state.tiles[id]!
            let top = scores.predictedClass
            let predicted: JSONValue = configuration.task == .classification ? .string(classes[top])
                : .array(scores.predictedClasses(thresholds: configuration.thresholds).sorted().map { .string(classes[$0]) })
            var probabilities: [String: JSONValue] = [:]
            for (name, p) in zip(classes, scores.probabilities) { probabilities[name] = .number(Double(p)) }
            tiles.append(.object(["tile": .string(id), "predicted": predicted,
                                  "confidence": .number(Double(scores.probabilities[top])), "probabilities": .object(probabilities)]))
        }
        var root: [String: JSONValue] = [
            "task": .string(configuration.task.rawValue), "classes": .array(classes.map { .string($0) }), "tiles": .array(tiles),
            "model": .object(["path": .string(state.model?.path ?? ""), "sha256": .string(state.model?.sha256 ?? "")]),
        ]
        if configuration.task == .multilabel { root["thresholds"] = .array(configuration.thresholds.map { .number($0) }) }
        if !state.failedTiles.isEmpty {
            root["failed_tiles"] = .array(state.sortedFailures.map { .object(["tile": .string($0.tile), "error": .string($0.error)]) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(JSONValue.object(root))
    }
}
