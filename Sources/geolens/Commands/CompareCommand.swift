import ArgumentParser
import Foundation
import GeoLensPipeline
import GeoLensReport

/// `geolens compare RUN_DIR RUN_DIR... --out DIR [--common-subset]`: compares evaluation runs
/// of different checkpoints on the same tiles and writes `comparison.html` and
/// `comparison.json` (CONTRACT.md; paired bootstrap as in METRICS.md).
struct CompareCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two or more eval runs on the same tiles (comparison.html, comparison.json).")

    @Argument(help: "Eval output directories (each holds state.json); the first is the baseline A.")
    var runs: [String] = []

    @Option(help: "Directory for comparison.html and comparison.json.")
    var out: String

    @Flag(help: "Compare only the tiles every run scored instead of refusing different tile sets.")
    var commonSubset = false

    @Flag(help: "Write images as PNG files in comparison_files/ instead of embedding them.")
    var imagesBeside = false

    @Option(help: "Bootstrap resamples for intervals and p-values.")
    var resamples = 1000

    @Option(help: "Bootstrap seed.")
    var seed: UInt64 = 0

    func validate() throws {
        guard runs.count >= 2 else {
            throw ValidationError("compare needs at least two run directories, got \(runs.count)")
        }
        guard resamples >= 10 else { throw ValidationError("--resamples must be at least 10, got \(resamples)") }
    }

    func execute() throws {
        let directories = runs.map { URL(fileURLWithPath: $0) }
        if ClassificationComparisonBuilder.handles(directories) {
            let outDirectory = URL(fileURLWithPath: out)
            try ClassificationComparisonBuilder.write(directories: directories, to: outDirectory, commonSubset: commonSubset,
                                                      bootstrap: .init(resamples: resamples, seed: seed))
            print(outDirectory.appendingPathComponent("comparison.html").path)
            print(outDirectory.appendingPathComponent("comparison.json").path)
            return
        }
        let report = try ComparisonBuilder.build(directories: runs.map { URL(fileURLWithPath: $0) }, commonSubset: commonSubset,
                                                 bootstrap: .init(resamples: resamples, seed: seed))
        let outDirectory = URL(fileURLWithPath: out)
        try report.write(to: outDirectory, images: imagesBeside ? .beside(folder: "comparison_files") : .embedded)
        print(outDirectory.appendingPathComponent("comparison.html").path)
        print(outDirectory.appendingPathComponent("comparison.json").path)
    }
}
