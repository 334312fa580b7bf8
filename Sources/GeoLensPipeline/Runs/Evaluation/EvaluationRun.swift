public import Foundation
public import GeoLensEval
public import GeoLensNN
import GeoLensGeo
import GeoLensTensor

/// Scores a checkpoint on labelled tiles and writes the CONTRACT.md outputs of `geolens eval`:
/// `metrics.json`, `per_tile.csv`, `confusion.csv`, `state.json`, `run.json`, `report.html`,
/// `journal.jsonl` and, on request, prediction rasters.
///
/// Tiles are read through `SampleSource`, batched by size, run through the model, and folded
/// into per-tile tallies (confusion matrix, entropy, calibration bins); each finished tile goes to
/// the run journal so that an interrupted run resumes where it stopped. Memory holds one batch and
/// the per-tile tallies, never the pixels of the whole set.
///
/// ```swift
/// let settings = EvaluationSettings(model: "m.safetensors", images: "tiles/images", labels: "tiles/labels", out: "runs/a")
/// let report = try EvaluationRun(settings: settings).run()
/// print(report.metrics.miou ?? .nan)
/// ```
public struct EvaluationRun: Sendable {
    public let settings: EvaluationSettings
    /// The effective config recorded in `run.json` (config file, `--set` and flags).
    public var configRecord: [String: JSONValue]
    public var progress: RunProgress
    /// Scheduler variables for the shard when `settings.shard` is nil (default: the process environment).
    public var environment: [String: String]

    public init(settings: EvaluationSettings, configRecord: [String: JSONValue] = [:],
                progress: RunProgress = .silent(label: "eval"),
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.settings = settings
        self.configRecord = configRecord
        self.progress = progress
        self.environment = environment
    }

    /// What an evaluation produced: segmentation metrics, or the metrics of a tile task.
    public enum Outcome: Sendable {
        case segmentation(MetricsReport)
        case tiles(ClassificationReport)
    }

    /// Runs the evaluation the model card's task calls for: this segmentation run, or a
    /// `ClassificationRun` for `classification` and `multilabel` cards (what `geolens eval` does).
    @discardableResult
    public func evaluate() throws(PipelineError) -> Outcome {
        try settings.validate()
        if let threads = settings.threads { Parallel.setThreadCount(threads) }
        let session = try ModelSession.load(checkpoint: settings.model, card: settings.modelCard)
        if session.task.scoresTiles {
            let run = ClassificationRun(settings: settings, configRecord: configRecord, progress: progress, environment: environment)
            return .tiles(try run.run(session: session))
        }
        return .segmentation(try run(session: session))
    }

    /// Runs (or resumes) a segmentation evaluation; returns the metrics written to `metrics.json`.
    /// A tile-task card is a usage error here: call `evaluate()` or `ClassificationRun`.
    @discardableResult
    public func run() throws(PipelineError) -> MetricsReport {
        try settings.validate()
        if let threads = settings.threads { Parallel.setThreadCount(threads) }
        return try run(session: try ModelSession.load(checkpoint: settings.model, card: settings.modelCard))
    }

    private func run(session: ModelSession) throws(PipelineError) -> MetricsReport {
        try session.require([.segmentation], for: "EvaluationRun.run()")
        let policy = try settings.failurePolicy()
        let sourceOptions = try settings.sampleSource().absolute
        let source = try SampleSource(sourceOptions, task: session.task)
        // A source bound to no input, or an input without its source, fails before any output is written.
        try source.inputSources.check(card: session.card)
        let shard = try Shard.resolve(settings.shard, environment: environment)
        let files = try source.files(in: shard)
        let out = URL(fileURLWithPath: settings.out)
        try FileSystem.createDirectory(out)

        let checkpoint = try session.identity()
        let model = ModelIdentity(path: checkpoint.path, sha256: checkpoint.sha256, format: checkpoint.format)
        let ignoreIndex = Int(source.ignoreIndex(card: session.card))
        let configuration = EvaluationConfiguration(classes: session.classNames, ignoreIndex: ignoreIndex,
                                                    output: session.outputIsProbabilities ? .probabilities : .logits)
        let fingerprint = try fingerprint(checkpoint.sha256, session.card, files)
        let (journal, recorded) = try PipelineError.wrapping {
            try RunJournal<TileTally>.open(in: out, fingerprint: fingerprint, shard: shard.description)
        }
        defer { journal.close() }

        var state = EvaluationState(configuration: configuration, model: model)
        let ids = Set(files.map(\.relativePath))
        for (tile, tally) in recorded.tallies where ids.contains(tile) { state.record(tally, tile: tile) }
        var accumulator = EvaluationAccumulator(state: state)
        var failures = recorded.failures.filter { ids.contains($0.key) }
        let todo = files.filter { !recorded.contains($0.relativePath) }
        var done = files.count - todo.count
        if done > 0 { progress.note("eval: resuming \(out.path): \(done) of \(files.count) tiles already scored") }
        progress.report(.started(done: done, total: files.count))
        let predictions = out.appendingPathComponent("predictions")
        if settings.writePredictions { try FileSystem.createDirectory(predictions) }
        let rasters = PredictionRasters(classNames: session.classNames, probabilities: settings.writeProbabilities,
                                        format: settings.rasterFormat)

        /// Reads one tile; under `on_error: skip` a failure is journaled and nil returned.
        func read(_ file: TilePair) throws(PipelineError) -> Sample? {
            try policy.attempt(file.relativePath, failuresSoFar: failures.count, record: { (reason: String) throws(PipelineError) in
                failures[file.relativePath] = reason
                progress.note("eval: skipping \(file.relativePath): \(reason)")
                try PipelineError.wrapping(context: journal.url.path) { try journal.recordFailure(file.relativePath, error: reason) }
                done += 1
            }) { () throws(PipelineError) -> Sample in
                try session.read(file, from: source)
            }
        }

        var index = 0
        while index < todo.count {
            try RunInterruption.checkpoint("\(done) of \(files.count) tiles are scored and kept in \(journal.url.path); "
                                           + "run the same command again to resume")
            // A batch: consecutive readable tiles of one size, up to `batch` of them.
            var samples: [Sample] = []
            while index < todo.count, samples.count < settings.batch {
                guard let next = try read(todo[index]) else {
                    index += 1
                    continue
                }
                if let first = samples.first, next.stacked.shape != first.stacked.shape { break }
                samples.append(next)
                index += 1
            }
            guard !samples.isEmpty else {
                progress.report(.advanced(done: done, total: files.count))
                continue
            }
            let batch = Tensor.stacked(samples.map(\.stacked))
            let output = session.output(batch)
            let tileIDs = samples.map(\.id)
            let labels = samples.flatMap { $0.label?.mask ?? [] }
            accumulator.add(output, labels: labels, valid: .flags(samples.flatMap(\.validity)), tileIDs: tileIDs)
            if settings.mcDropout >= 2 {
                for (i, sample) in samples.enumerated() {
                    // One tile at a time with a seed from its id: the same dropout masks in any batch or shard.
                    let single = batch.slice(alongAxis: 0, start: i, end: i + 1)
                    let seed = settings.seed ^ Shard.fnv1a(sample.id)
                    let passes = (0..<settings.mcDropout).map { t in
                        session.output(single, mode: .monteCarloDropout, seed: seed &+ UInt64(t))
                    }
                    accumulator.addMonteCarloDropout(passes, labels: sample.label?.mask ?? [], valid: .flags(sample.validity),
                                                     tileIDs: [sample.id])
                }
            }
            if settings.writePredictions {
                try rasters.write(probabilities: session.probabilities(fromOutput: output), samples: samples, to: predictions)
            }
            let tallies = tileIDs.map { ($0, accumulator.state.tiles[$0]!) }
            try PipelineError.wrapping(context: journal.url.path) { try journal.record(tallies) }
            done += samples.count
            progress.report(.advanced(done: done, total: files.count))
        }
        progress.report(.finished(done: done, total: files.count))
        for (tile, reason) in failures { accumulator.recordFailure(tile: tile, reason: reason) }
        if !failures.isEmpty { progress.note("eval: \(failures.count) of \(files.count) tiles failed and were skipped (failed_tiles in metrics.json)") }

        let report = try PipelineError.wrapping(context: out.path) {
            try EvaluationOutputs.write(accumulator.state, to: out, geolensVersion: GeoLensVersion.current, model: model,
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
        try manifest.write(to: out)
        try RunReportBuilder.write(runDirectory: out)
        return report
    }

    /// Everything that determines the numbers of a run, hashed: a journal is replayed only into the same run.
    private func fingerprint(_ digest: String, _ card: ModelCard, _ files: [TilePair]) throws(PipelineError) -> String {
        struct Identity: Encodable {
            let checkpoint: String, card: ModelCard, tiles: [String], labels: [String]
            let ignoreIndex: Int?, labelRemap: [String: Int]?, mcDropout: Int, seed: UInt64
            /// Bound input sources (absent for single-source runs, so their fingerprints are as before).
            let sources: [String: String]?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let identity = Identity(checkpoint: digest, card: card, tiles: files.map(\.relativePath),
                                labels: files.map { ($0.label as NSString?)?.lastPathComponent ?? "" },
                                ignoreIndex: settings.ignoreIndex, labelRemap: settings.labelRemap,
                                mcDropout: settings.mcDropout, seed: settings.seed,
                                sources: settings.sources.isEmpty ? nil : settings.sources.mapValues(FileSystem.absolute))
        var hasher = SHA256()
        hasher.update(try PipelineError.wrapping { try encoder.encode(identity) })
        return hasher.finalize()
    }
}
