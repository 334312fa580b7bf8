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
/// label is checked against the card's classes before the first tile is scored. Each tile's
/// probabilities (softmax, or per-class sigmoids for multi-label) are kept in the
/// `ClassificationState`, K floats per tile, so shard states merge exactly (`ClassificationMerge`).
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
        try checkSettings()
        let sourceOptions = try settings.sampleSource().absolute
        let source = try SampleSource(sourceOptions, task: session.task)
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

        var index = 0
        while index < files.count {
            // A batch of up to `batch` tiles; `score` runs consecutive tiles of one size together.
            var samples: [Sample] = []
            while index < files.count, samples.count < settings.batch {
                samples.append(try source.read(files[index], card: session.card))
                index += 1
            }
            try score(samples, session: session, into: &state)
            progress.report(.advanced(done: index, total: files.count))
        }
        progress.report(.finished(done: files.count, total: files.count))

        let report = try PipelineError.wrapping(context: out.path) {
            try ClassificationOutputs.write(state, to: out, geolensVersion: GeoLensVersion.current, model: model)
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
        try ClassificationReportBuilder.write(runDirectory: out)
        return report
    }

    /// Runs `samples` through the model (in groups of one tile size) and records each tile.
    private func score(_ samples: [Sample], session: ModelSession, into state: inout ClassificationState) throws(PipelineError) {
        var start = 0
        while start < samples.count {
            let shape = samples[start].image.shape
            var end = start + 1
            while end < samples.count, samples[end].image.shape == shape { end += 1 }
            let group = Array(samples[start..<end])
            let batch = Tensor.stacked(group.map(\.image))
            try session.checkChannels(batch.shape[1], source: group[0].files.image)
            let probabilities = session.probabilities(batch)
            let classCount = session.classCount
            precondition(probabilities.shape == [group.count, classCount],
                         "ClassificationRun: the model returned \(probabilities.shape) for \(group.count) tiles")
            let values = probabilities.scalars
            for (i, sample) in group.enumerated() {
                let row = Array(values[(i * classCount)..<((i + 1) * classCount)])
                if let bad = row.first(where: { !$0.isFinite }) {
                    throw .data("\(sample.files.image): the model's probabilities hold \(bad); check the tile's values and the card's normalization")
                }
                state.record(TileScores(probabilities: row, target: Self.target(of: sample.label)), tile: sample.id)
            }
            start = end
        }
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
        if settings.writePredictions {
            throw .usage("key 'write_predictions' writes class rasters of segmentation models; a tile task's predictions "
                         + "are in per_tile.csv")
        }
    }
}
