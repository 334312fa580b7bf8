import ArgumentParser
import Foundation
import GeoLensPipeline

/// `geolens index RUNS_DIR`: one self-contained `index.html` listing every eval and train run
/// under a folder (`RunsIndexBuilder`).
struct IndexCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Write index.html listing every eval and train run under a folder.",
        discussion: """
            Eval runs are folders with metrics.json (and state.json or run.json); train runs are folders with \
            history.json (and best.json or last.meta.json). The page lists model, checkpoint sha256, data, date, \
            mIoU and accuracy with their 95% intervals, and links to each run's report, snapshots and files; \
            its table sorts by any column and filters by text and kind. It opens offline.
            """)

    @Argument(help: "A folder holding eval and train run directories (searched recursively).") var runsDirectory: String
    @Option(help: "Output file (default: RUNS_DIR/index.html).") var out: String?

    func execute() throws {
        let (url, entries) = try RunsIndexBuilder.write(folder: URL(fileURLWithPath: runsDirectory),
                                                        out: out.map { URL(fileURLWithPath: $0) })
        let evals = entries.filter { $0.kind == .eval }.count
        print("index: \(evals) eval and \(entries.count - evals) train run(s) -> \(url.path)")
    }
}
