import ArgumentParser
import Foundation
import GeoLensPipeline
import GeoLensReport

/// `geolens report RUN_DIR [--images-beside]`: (re)writes `report.html` of an eval output
/// directory from its state.json, run.json, prediction rasters and attribution maps.
struct ReportCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write report.html for an eval output directory.")

    @Argument(help: "An eval output directory (holds state.json; run.json and predictions/ are used when present).")
    var runDirectory: String

    @Flag(help: "Write images as PNG files in report_files/ instead of embedding them.")
    var imagesBeside = false

    func execute() throws {
        let directory = URL(fileURLWithPath: runDirectory)
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw PipelineError.usage("run directory \(directory.path) does not exist; pass an eval --out directory")
        }
        let url = try RunReportBuilder.write(runDirectory: directory,
                                             images: imagesBeside ? .beside(folder: "report_files") : .embedded)
        print(url.path)
    }
}
