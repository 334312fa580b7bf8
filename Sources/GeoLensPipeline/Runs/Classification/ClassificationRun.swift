public import Foundation
public import GeoLensEval
public import GeoLensNN
import GeoLensGeo
import GeoLensTensor

/// Scores a tile classifier (a model card with `task: classification` or `multilabel`) on
/// labelled tiles and writes the outputs of `geolens eval` for tile tasks: `metrics.json`,
/// `per_tile.csv`, `confusion.csv`, `state.json`, `run.json` and `report.html` with exact ROC
/// and precision-recall curves.
///
/// Tiles and their labels come through `SampleSource` (a label table or class folders); every
/// label is checked against the card's classes before the first tile is scored. Like segmentation
/// runs, each scored tile goes to `journal.jsonl`, so an interrupted run restarted with the same
/// arguments resumes and ends with the same `metrics.json`. Each tile's
/// probabilities (softmax, or per-class sigmoids for multi-label) are kept in the
/// `ClassificationState`, K floats per tile, so shard states merge exactly (`ClassificationMerge`).
/// Under `on_error: skip` a tile that cannot be read, paired or scored is journaled with its error,
/// left out of the metrics and listed under `failed_tiles`; `max_failures` bounds how many.
/// With `write_predictions` the run also writes `predictions.csv` and `predictions.json` as
/// `geolens predict` does (`TilePredictionFiles`), listed under `predictions` in `run.json`.
/// `EvaluationRun.evaluate()` picks this run for tile-task cards.
public struct ClassificationRun: Sendable {
    public let settings: EvaluationSettings
    public var configRecord: [String: JSONValue]
    public var progress: RunProgress
    public var environment: [String: String]

    public init(settings: EvaluationSettings, configRecord: [String: JSONValue] = [:],
                progress: RunProgress = .silent(label: "eval"),
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.settings = settings
        self.configRecord = configRecord
        self.progress = progress
        self.environment = environment
    }

    /// Loads the checkpoint and runs; the card's task must be classification or multilabel.
    @discardableResult
    public func run() throws(PipelineError) -> ClassificationReport {
        try settings.validate()
        if let threads = settings.threads { Parallel.setThreadCount(threads) }
        return try run(session: try ModelSession.load(checkpoint: settings.model, card: settings.modelCard))
    }

    /// Runs with a loaded model.
    func run(session: ModelSession) throws(PipelineError) -> ClassificationReport {
        try session.require([.classification, .multilabel], for: "a classification evaluation")
        let policy = try settings.failurePolicy()
        try checkSettings()
        let sourceOptions = try settings.sampleSource().absolute
        let source = try SampleSource(sourceOptions, task: session.task)
        // A source bound to no input, or an input without its source, fails before any output is written.
        try source.inputSources.check(card: session.card)
        try source.checkLabels(card: session.card)
        let shard = try Shard.resolve(settings.shard, environment: environment)
        let files = try source.files(in: shard)
        let out = URL(fileURLWithPath: settings.out)
        try FileSystem.createDirectory(out)

        let checkpoint = try session.identity()
        let model = ModelIdentity(path: checkpoint.path, sha256: checkpoint.sha256, format: checkpoint.format)
        let task: TileTask = session.task == .multilabel ? .multilabel : .classification
        let configuration = ClassificationConfiguration(
            task: task, classes: session.classNames,
            thresholds: task == .multilabel ? session.card.decisionThreshold.values(classCount: session.classCount) : [])
        var state = ClassificationState(configuration: configuration, model: model)
        let fingerprint = try fingerprint(checkpoint.sha256, session.card, files, sourceOptions)
        let (journal, recorded) = try PipelineError.wrapping {
            try RunJournal<TileScores>.open(in: out, fingerprint: fingerprint, shard: shard.description)
        }
        defer { journal.close() }
        let ids = Set(files.map(\.relativePath))
        for (tile, scores) in recorded.tallies where ids.contains(tile) { state.record(scores, tile: tile) }
        for (tile, reason) in recorded.failures where ids.contains(tile) { state.recordFailure(tile: tile, reason: reason) }
        let todo = files.filter { !recorded.contains($0.relativePath) }
        var done = files.count - todo.count
        if done > 0 { progress.note("eval: resuming \(out.path): \(done) of \(files.count) tiles already scored") }
        progress.report(.started(done: done, total: files.count))

        /// Runs `body` for one tile; under `on_error: skip` a failure is journaled and nil returned.
        func attempt<T>(_ tile: String, _ body: () throws(PipelineError) -> T) throws(PipelineError) -> T? {
            try policy.attempt(tile, failuresSoFar: state.failedTiles.count, record: { (reason: String) throws(PipelineError) in
                state.recordFailure(tile: tile, reason: reason)
                progress.note("eval: skipping \(tile): \(reason)")
                try PipelineError.wrapping(context: journal.url.path) { try journal.recordFailure(tile, error: reason) }
                done += 1
            }, body)
        }

        var index = 0
        while index < todo.count {
            // A batch of up to `batch` readable tiles; `score` runs consecutive tiles of one size together.
            var samples: [Sample] = []
            while index < todo.count, samples.count < settings.batch {
                let file = todo[index]
                index += 1
                let sample = try attempt(file.relativePath) { () throws(PipelineError) -> Sample in
                    try session.read(file, from: source)
                }
                if let sample { samples.append(sample) }
            }
            if samples.isEmpty { continue }
            let scored = try score(samples, session: session)
            var records: [(String, TileScores)] = []
            for (sample, result) in zip(samples, scored) {
                let scores = try attempt(sample.id) { () throws(PipelineError) -> TileScores in try result.get() }
                if let scores {
                    state.record(scores, tile: sample.id)
                    records.append((sample.id, scores))
                }
            }
            try PipelineError.wrapping(context: journal.url.path) { try journal.record(records) }
            done += records.count
            progress.report(.advanced(done: done, total: files.count))
        }
        progress.report(.finished(done: done, total: files.count))
        if !state.failedTiles.isEmpty {
            progress.note("eval: \(state.failedTiles.count) of \(files.count) tiles failed and were skipped (failed_tiles in metrics.json)")
        }

        let report = try PipelineError.wrapping(context: out.path) {
            try ClassificationOutputs.write(state, to: out, geolensVersion: GeoLensVersion.current, model: model,
                                            bootstrap: BootstrapOptions(resamples: settings.bootstrapResamples, seed: settings.seed))
        }
        var manifest = RunManifest(command: "eval")
        manifest.threads = Parallel.threadCount
        manifest.checkpoint = checkpoint.path
        manifest.checkpointSHA256 = checkpoint.sha256
        manifest.checkpointFormat = checkpoint.format
        manifest.modelCard = session.card
        manifest.record(sourceOptions)
        manifest.shard = shard.description
        manifest.seed = settings.seed
        manifest.config = configRecord
        if settings.writePredictions {
            manifest.predictions = try TilePredictionFiles.write(state, to: out).map { ($0 as NSString).lastPathComponent }
        }
        try manifest.write(to: out)
        try ClassificationReportBuilder.write(runDirectory: out)
        return report
    }

    /// Runs `samples` through the model (in groups of one tile size): each tile's scores, or the
    /// error of a tile whose probabilities are not finite.
    private func score(_ samples: [Sample], session: ModelSession) throws(PipelineError) -> [Result<TileScores, PipelineError>] {
        var results: [Result<TileScores, PipelineError>] = []
        var start = 0
        while start < samples.count {
            let shape = samples[start].stacked.shape
            var end = start + 1
            while end < samples.count, samples[end].stacked.shape == shape { end += 1 }
            let group = Array(samples[start..<end])
            let batch = Tensor.stacked(group.map(\.stacked))
            let probabilities = session.probabilities(batch)
            let classCount = session.classCount
            precondition(probabilities.shape == [group.count, classCount],
                         "ClassificationRun: the model returned \(probabilities.shape) for \(group.count) tiles")
            let values = probabilities.scalars
            for (i, sample) in group.enumerated() {
                let row = Array(values[(i * classCount)..<((i + 1) * classCount)])
                if let bad = row.first(where: { !$0.isFinite }) {
                    results.append(.failure(.data("\(sample.files.image): the model's probabilities hold \(bad); check the tile's "
                                                  + "values and the card's normalization")))
                } else {
                    results.append(.success(TileScores(probabilities: row, target: Self.target(of: sample.label))))
                }
            }
            start = end
        }
        return results
    }

    /// Everything that determines the numbers, hashed: the checkpoint, the card, the tiles and the
    /// labels (a label table's bytes, or the class-folder layout), so a journal replays only into
    /// the same run.
    private func fingerprint(_ digest: String, _ card: ModelCard, _ files: [TilePair],
                             _ options: SampleSourceOptions) throws(PipelineError) -> String {
        struct Identity: Encodable {
            let checkpoint: String, card: ModelCard, tiles: [String], labels: String
            let classFolders: Bool, allowUnlabelled: Bool
            /// Bound input sources (absent for single-source runs, so their fingerprints are as before).
            let sources: [String: String]?
        }
        var labels = ""
        if case .table(let path) = options.labelLayout { labels = try SHA256.hexDigest(of: URL(fileURLWithPath: path)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let identity = Identity(checkpoint: digest, card: card, tiles: files.map(\.relativePath), labels: labels,
                                classFolders: options.classFolders, allowUnlabelled: options.allowUnlabelled,
                                sources: options.sources.isEmpty ? nil : options.sources)
        var hasher = SHA256()
        hasher.update(try PipelineError.wrapping { try encoder.encode(identity) })
        return hasher.finalize()
    }

    /// A sample's tile label as the metrics' target.
    static func target(of label: SampleLabel?) -> TileTarget? {
        switch label {
        case .tileClass(let index): .single(index)
        case .tileClasses(let indices): .multiple(indices)
        case .mask, nil: nil
        }
    }

    /// Settings that only segmentation runs use are errors here, naming the key.
    private func checkSettings() throws(PipelineError) {
        if settings.mcDropout > 0 {
            throw .usage("key 'mc_dropout' applies to segmentation models; the model card's task scores whole tiles")
        }
        if settings.labelRemap != nil {
            throw .usage("key 'label_remap' maps values of label rasters; tile labels name classes (labels.csv or class folders)")
        }
        if settings.ignoreIndex != nil {
            throw .usage("key 'ignore_index' excludes label-raster pixels; leave a tile out of the metrics with no labels.csv row "
                         + "and --allow-unlabelled")
        }
        if settings.writeProbabilities {
            throw .usage("key 'write_probabilities' writes probability rasters of segmentation models; with "
                         + "'write_predictions' a tile task's probabilities are in predictions.csv and predictions.json")
        }
    }
}
