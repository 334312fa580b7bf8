public import Foundation
public import GeoLensEval
import GeoLensReport

/// `geolens compare` for tile-task runs: reads each directory's `state.json`, compares the runs
/// on their common tiles (`ClassificationComparison`) and writes `comparison.html` and
/// `comparison.json`.
public enum ClassificationComparisonBuilder {
    /// True when the first directory holds a classification or multi-label run.
    public static func handles(_ directories: [URL]) -> Bool {
        directories.first.map { ClassificationState.isTileTaskState($0.appendingPathComponent(EvaluationOutputs.stateFile)) } ?? false
    }

    @discardableResult
    public static func write(directories: [URL], to out: URL, commonSubset: Bool = false,
                             bootstrap: BootstrapOptions = BootstrapOptions()) throws(PipelineError) -> ClassificationComparison {
        var inputs: [(name: String, path: String, state: ClassificationState)] = []
        for (name, directory) in zip(ComparisonBuilder.runNames(directories), directories) {
            let url = directory.appendingPathComponent(EvaluationOutputs.stateFile)
            guard FileSystem.exists(url.path) else {
                throw .usage("\(directory.path) holds no \(EvaluationOutputs.stateFile); pass the --out directories of finished eval runs")
            }
            guard ClassificationState.isTileTaskState(url) else {
                throw .usage("\(url.path) is a segmentation run but \(directories[0].path) is a classification run; compare runs of one task")
            }
            inputs.append((name, FileSystem.absolute(directory.path),
                           try PipelineError.wrapping(context: url.path) { try ClassificationState.load(from: url) }))
        }
        let comparison = try PipelineError.wrapping {
            try ClassificationComparison(inputs, commonSubset: commonSubset, geolensVersion: GeoLensVersion.current, bootstrap: bootstrap)
        }
        try FileSystem.createDirectory(out)
        try PipelineError.wrapping(context: out.path) { try ClassificationComparisonReport(comparison: comparison).write(to: out) }
        return comparison
    }
}
