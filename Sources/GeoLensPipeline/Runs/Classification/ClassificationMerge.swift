public import Foundation
public import GeoLensEval
import GeoLensGeo

/// Merges the `state.json` of tile-task evaluation shards into the outputs of one run: the
/// union of their tiles' probabilities and labels, so every metric, exact AUROC and average
/// precision included, equals an unsharded run's (byte-identical `metrics.json`).
public enum ClassificationMerge {
    @discardableResult
    ///
    /// The shard set is checked as for segmentation (`EvaluationMerge`): shards 0..<N of one run,
    /// each once; `allowIncomplete` merges a partial set and records the missing shards in
    /// `run.json` (and so in the report's manifest).
    public static func merge(_ directories: [URL], into out: URL, allowIncomplete: Bool = false) throws(PipelineError) -> ClassificationReport {
        var runs: [EvaluationMerge.ShardRun] = []
        for directory in directories {
            let manifest = try RunManifest.load(from: directory)
            runs.append(.init(directory: directory, manifest: manifest, shard: manifest?.shard.flatMap { try? Shard(parsing: $0) }))
        }
        var states: [ClassificationState] = []
        for directory in directories {
            let url = directory.appendingPathComponent(EvaluationOutputs.stateFile)
            guard FileSystem.exists(url.path) else {
                throw .data("\(directory.path) holds no \(EvaluationOutputs.stateFile); is it the --out of a finished `geolens eval`?")
            }
            guard ClassificationState.isTileTaskState(url) else {
                throw .data("\(url.path) is a segmentation state but \(directories[0].path) holds a classification run; "
                            + "merge shards of one evaluation")
            }
            states.append(try PipelineError.wrapping(context: url.path) { try ClassificationState.load(from: url) })
        }
        let incomplete = try EvaluationMerge.checkShardSet(runs, allowIncomplete: allowIncomplete)
        let merged = try PipelineError.wrapping(context: "cannot merge") { try ClassificationState.merge(states) }
        try FileSystem.createDirectory(out)
        // Bootstrap settings come from the first shard's run.json (all shards share them).
        let shardManifest = try RunManifest.load(from: directories[0])
        let report = try PipelineError.wrapping(context: out.path) {
            try ClassificationOutputs.write(merged, to: out, geolensVersion: GeoLensVersion.current, model: merged.model,
                                            bootstrap: ClassificationReportBuilder.bootstrap(shardManifest))
        }
        try shardManifest?.merged(from: directories, missing: incomplete?.missing).write(to: out)
        try ClassificationReportBuilder.write(runDirectory: out)
        return report
    }
}
