public import Foundation
import GeoLensEval
public import GeoLensReport

/// Builds `report.html` of a tile-task run directory from its `state.json` (probabilities and
/// labels of every tile) and `run.json`: headline metrics, per-class table, confusion, exact ROC
/// and precision-recall curves, calibration and the tile table (`ClassificationRunReport`).
public enum ClassificationReportBuilder {
    /// The report of the run in `runDirectory`.
    public static func build(runDirectory: URL) throws(PipelineError) -> ClassificationRunReport {
        let url = runDirectory.appendingPathComponent(EvaluationOutputs.stateFile)
        let state = try PipelineError.wrapping(context: url.path) { try ClassificationState.load(from: url) }
        let manifest = try RunManifest.load(from: runDirectory)
        let report = ClassificationReport(state: state, geolensVersion: manifest?.geolensVersion ?? GeoLensVersion.current,
                                          bootstrap: bootstrap(manifest))
        var rows = manifest?.displayRows() ?? []
        rows.insert(("run directory", runDirectory.path), at: 0)
        return ClassificationRunReport(title: "GeoLens \(state.configuration.task.rawValue) evaluation: " + runDirectory.lastPathComponent,
                                       state: state, report: report, manifest: rows)
    }

    /// The bootstrap settings a run recorded (`bootstrap_resamples`, `seed`), else 1000 and 0.
    static func bootstrap(_ manifest: RunManifest?) -> BootstrapOptions {
        BootstrapOptions(resamples: max(1, manifest?.config?["bootstrap_resamples"]?.intValue ?? 1000), seed: manifest?.seed ?? 0)
    }

    /// Builds and writes `report.html` into the run directory; returns its URL.
    @discardableResult
    public static func write(runDirectory: URL) throws(PipelineError) -> URL {
        let report = try build(runDirectory: runDirectory)
        return try PipelineError.wrapping(context: runDirectory.path) { try report.write(to: runDirectory) }
    }
}
