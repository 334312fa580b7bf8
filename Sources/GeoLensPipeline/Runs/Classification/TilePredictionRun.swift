public import Foundation
public import GeoLensEval
import GeoLensNN
import GeoLensGeo
import GeoLensTensor

/// `geolens predict` for a tile classifier (a card with `task: classification` or `multilabel`):
/// every tile of `input` (a folder, glob or list file, as `eval`'s images) gets its class
/// probabilities and predicted class (or, for multi-label, each class above its threshold).
///
/// Writes `predictions.csv` and `predictions.json` into `out` (`TilePredictionFiles`).
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
        progress.report(.started(done: 0, total: files.count))
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
                    try session.read(file, from: source)
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
        return Result(state: state, outputs: try TilePredictionFiles.write(state, to: out))
    }
}
