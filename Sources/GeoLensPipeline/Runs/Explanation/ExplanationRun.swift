public import Foundation
import GeoLensEval
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensTensor

/// Explains tiles with one attribution method: per tile and target class, the raw map
/// (`<stem>_<method>_<class>.tif`, georeferenced), its heatmap PNG, band-group charts, and the
/// records of `attributions.json`, plus `gallery.html` of every heatmap.
///
/// Tiles are listed, paired and read by `SampleSource` exactly as evaluation reads them. The shard
/// comes from `settings.shard` or the scheduler's variables; a shard of N > 1 writes
/// `attributions-shard-I-of-N.json`, so that shards may share one output folder, and
/// `ExplanationMerge` combines them into one `attributions.json` and gallery.
///
/// ```swift
/// var settings = ExplanationSettings(model: "m.safetensors", input: "tiles/", out: "runs/explain", method: .gradcamPlusPlus)
/// settings.classes = ["cloud"]
/// let document = try ExplanationRun(settings: settings).run()
/// ```
public struct ExplanationRun: Sendable {
    public let settings: ExplanationSettings
    public var progress: RunProgress
    public var environment: [String: String]

    public init(settings: ExplanationSettings, progress: RunProgress = .silent(label: "explain"),
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.settings = settings
        self.progress = progress
        self.environment = environment
    }

    /// Explains the tiles of this shard and writes the outputs; returns the written document.
    @discardableResult
    public func run() throws(PipelineError) -> AttributionsDocument {
        try settings.validate()
        let policy = try settings.failurePolicy()
        guard let method = settings.attributionMethod else { throw .usage("unknown method '\(settings.method)'") }
        if let threads = settings.threads { Parallel.setThreadCount(threads) }
        let session = try ModelSession.load(checkpoint: settings.model, card: settings.modelCard, seed: settings.seed)
        let source = try SampleSource(try settings.sampleSource(), task: session.task)
        // A source bound to no input, or an input without its source, fails before any output is written.
        try source.inputSources.check(card: session.card)
        let shard = try Shard.resolve(settings.shard, environment: environment)
        let files = try source.files(in: shard)
        let out = URL(fileURLWithPath: settings.out)
        try FileSystem.createDirectory(out)
        var background: ExplanationBackground?
        if let path = settings.background {
            background = try ExplanationBackground.load(path, count: settings.backgroundCount ?? ExplanationSettings.defaultBackgroundCount,
                                                        sources: settings.sources, session: session)
        }
        let explainer = TileExplainer(config: settings, session: session, source: source, method: method, background: background)
        var records: [AttributionRecord] = []
        var failures: [FailedTile] = []
        progress.report(.started(done: 0, total: files.count))
        for (n, file) in files.enumerated() {
            try RunInterruption.checkpoint("\(n) of \(files.count) tiles were explained; nothing was written to \(out.path), "
                                           + "run the command again (with --shard to split the work)")
            let explained = try policy.attempt(file.relativePath, failuresSoFar: failures.count, record: { reason in
                failures.append(FailedTile(tile: file.image, error: reason))
                progress.note("explain: skipping \(file.relativePath): \(reason)")
            }) { () throws(PipelineError) in
                try PipelineError.wrapping(context: file.image) { try explainer.explain(file) }
            }
            records += explained ?? []
            progress.report(.advanced(done: n + 1, total: files.count))
        }
        progress.report(.finished(done: files.count, total: files.count))

        var cells: AttributionsDocument.Cells?
        if !method.isCAM, let grid = settings.grid {
            cells = .init(kind: .grid, grid: grid, superpixels: nil, compactness: nil, bands: nil)
        } else if !method.isCAM, let superpixels = settings.superpixels {
            cells = .init(kind: .superpixels, grid: nil, superpixels: superpixels, compactness: settings.compactness ?? 10,
                          bands: settings.superpixelBands ?? "all")
        }
        let document = AttributionsDocument(model: FileSystem.absolute(settings.model), method: method.rawValue,
                                            baseline: method.isCAM || background != nil ? nil : settings.baseline,
                                            background: settings.background.map(FileSystem.absolute),
                                            backgroundTiles: background?.files, cells: cells,
                                            classes: session.classNames, shard: shard.count > 1 ? shard.description : nil,
                                            mergedShards: nil, records: records,
                                            failedTiles: failures.isEmpty ? nil : failures)
        try document.write(to: out.appendingPathComponent(AttributionsDocument.fileName(shardIndex: shard.index, of: shard.count)))
        if shard.count == 1 { try ExplanationGallery.write(document, in: out) }
        return document
    }
}
