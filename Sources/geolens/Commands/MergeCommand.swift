import ArgumentParser
import Foundation
import GeoLensEval
import GeoLensNN

/// `geolens merge`: combines the `state.json` of shard runs into the outputs of one run.
struct MergeCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge sharded eval runs (their state.json) into one set of outputs.",
        discussion: "The merged metrics equal those of a single run over all tiles.")

    @Argument(help: "Output directories of `geolens eval --shard I/N`.") var shards: [String]
    @Option(help: "Output directory for the merged run.") var out: String

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give at least one shard directory") }
    }

    func execute() throws {
        var states: [EvaluationState] = []
        for directory in shards {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(EvaluationOutputs.stateFile)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw Failure.runtime("\(directory) holds no \(EvaluationOutputs.stateFile); is it the --out of a finished `geolens eval`?")
            }
            do { states.append(try EvaluationState.load(from: url)) } catch {
                throw Failure.runtime("\(url.path): \(error)")
            }
        }
        let merged: EvaluationState
        do { merged = try EvaluationState.merge(states) } catch { throw Failure.runtime("cannot merge: \(error)") }

        // Bootstrap settings and the manifest come from the first shard's run.json (all shards share them).
        let firstManifest = URL(fileURLWithPath: shards[0]).appendingPathComponent(RunManifest.fileName)
        var manifest = try? JSONDecoder().decode(RunManifest.self, from: Data(contentsOf: firstManifest))
        let resamples = manifest?.config["bootstrap_resamples"]?.intValue ?? 1000
        let seed = manifest?.seed ?? 0
        let out = URL(fileURLWithPath: out)
        try createDirectory(out)
        let report = try EvaluationOutputs.write(merged, to: out, geolensVersion: GeoLensVersion.current, model: merged.model,
                                                 bootstrap: BootstrapOptions(resamples: resamples, seed: seed))
        if manifest != nil {
            manifest!.command = "merge"
            manifest!.date = RunManifest.now()
            manifest!.shard = "merged from \(shards.count) shards"
            try manifest!.write(to: out)
        }
        try RunReportBuilder.write(runDirectory: out)
        let miou = report.metrics.miou.map { String(format: "%.4f", $0) } ?? "n/a"
        print("merge: \(shards.count) shards, \(report.tiles) tiles, mIoU \(miou); wrote \(out.path)")
    }
}
