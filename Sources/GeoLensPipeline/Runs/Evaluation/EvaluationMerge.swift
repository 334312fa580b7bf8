public import Foundation
public import GeoLensEval

/// Sums the `state.json` of evaluation shards into the outputs of one run (byte-identical
/// `metrics.json` to an unsharded run), with a `run.json` recording the shards and `report.html`.
public enum EvaluationMerge {
    @discardableResult
    public static func merge(_ directories: [URL], into out: URL) throws(PipelineError) -> MetricsReport {
        var states: [EvaluationState] = []
        for directory in directories {
            let url = directory.appendingPathComponent(EvaluationOutputs.stateFile)
            guard FileSystem.exists(url.path) else {
                throw .data("\(directory.path) holds no \(EvaluationOutputs.stateFile) (nor explain shard files); "
                            + "is it the --out of a finished `geolens eval` or `geolens explain --shard`?")
            }
            if ClassificationState.isTileTaskState(url) {
                throw .data("\(url.path) holds a classification run; merge classification shards with ClassificationMerge "
                            + "(geolens merge picks it when the first shard is one) and do not mix them with segmentation shards")
            }
            states.append(try PipelineError.wrapping(context: url.path) { try EvaluationState.load(from: url) })
        }
        let merged = try PipelineError.wrapping(context: "cannot merge") { try EvaluationState.merge(states) }
        // Bootstrap settings and the manifest come from the first shard's run.json (all shards share them).
        var manifest = try RunManifest.load(from: directories[0])
        let resamples = manifest?.config?["bootstrap_resamples"]?.intValue ?? 1000
        let seed = manifest?.seed ?? 0
        try FileSystem.createDirectory(out)
        let report = try PipelineError.wrapping(context: out.path) {
            try EvaluationOutputs.write(merged, to: out, geolensVersion: GeoLensVersion.current, model: merged.model,
                                        bootstrap: BootstrapOptions(resamples: resamples, seed: seed))
        }
        if var shardManifest = manifest {
            shardManifest.schemaVersion = RunManifest.currentSchemaVersion
            shardManifest.command = "merge"
            shardManifest.geolensVersion = GeoLensVersion.current
            shardManifest.date = RunManifest(command: "merge").date
            shardManifest.shard = "merged from \(directories.count) shards"
            shardManifest.shards = directories.map { FileSystem.absolute($0.path) }
            // Schema-1 shards stored paths as given: resolve them before the manifest moves.
            if let source = shardManifest.sampleSource(runDirectory: directories[0]) { shardManifest.record(source) }
            manifest = shardManifest
            try shardManifest.write(to: out)
        }
        try RunReportBuilder.write(runDirectory: out)
        return report
    }
}
