import ArgumentParser
import Foundation
import GeoLensEval
import GeoLensPipeline

/// `geolens merge`: combines shard runs into the outputs of one run: eval shards (their
/// `state.json`) or explain shards (their `attributions-shard-I-of-N.json`).
struct MergeCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge sharded eval or explain runs into one set of outputs.",
        discussion: """
            Eval shards: the merged metrics equal those of a single run over all tiles; the shards must be 0..N-1 of
            one run (same checkpoint, inputs and settings), and their predictions/ are gathered (hard links or copies)
            so the merged report shows every tile. Explain shards (one shared --out or several): one
            attributions.json and gallery.html with every shard's maps.
            """)

    @Argument(help: "Output directories of `geolens eval --shard I/N` or `geolens explain --shard I/N`.") var shards: [String]
    @Option(help: "Output directory for the merged run.") var out: String
    @Flag(name: .customLong("allow-incomplete"),
          help: "Merge eval shards even when some of 0..N-1 are missing (recorded in metrics.json and the report).")
    var allowIncomplete = false

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give at least one shard directory") }
    }

    func execute() throws {
        let directories = shards.map { URL(fileURLWithPath: $0) }
        let out = URL(fileURLWithPath: out)
        if directories.allSatisfy(ExplanationMerge.holdsExplanations) {
            let merged = try ExplanationMerge.merge(directories, into: out)
            print("merge: \(merged.mergedShards ?? 1) explain shards, \(merged.records.count) records; wrote \(out.path)/attributions.json, gallery.html")
            return
        }
        if let first = directories.first,
           ClassificationState.isTileTaskState(first.appendingPathComponent(EvaluationOutputs.stateFile)) {
            let report = try ClassificationMerge.merge(directories, into: out, allowIncomplete: allowIncomplete)
            let (name, value) = report.headline
            print("merge: \(shards.count) shards, \(report.tiles) tiles, \(name) \(value.map { String(format: "%.4f", $0) } ?? "n/a"); wrote \(out.path)")
            return
        }
        let report = try EvaluationMerge.merge(directories, into: out, allowIncomplete: allowIncomplete)
        let miou = report.metrics.miou.map { String(format: "%.4f", $0) } ?? "n/a"
        print("merge: \(shards.count) shards, \(report.tiles) tiles, mIoU \(miou); wrote \(out.path)")
        if let incomplete = report.incompleteMerge {
            printNote("merge: incomplete on purpose: shards \(incomplete.missing.joined(separator: ", ")) are missing")
        }
    }
}
