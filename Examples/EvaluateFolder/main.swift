// Evaluates a checkpoint on a folder of labelled tiles and writes the report, through the
// GeoLensPipeline library alone (no command-line tool):
//
//   swift run geolens-evaluate-folder MODEL IMAGES LABELS OUT
//
// Prints the headline metrics and the path of report.html.
import Foundation
import GeoLensPipeline

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: geolens-evaluate-folder MODEL IMAGES LABELS OUT\n".utf8))
    exit(64)
}
let (model, images, labels, out) = (arguments[1], arguments[2], arguments[3], arguments[4])

let settings = EvaluationSettings(model: model, images: images, labels: labels, out: out, writePredictions: true)
let progress = RunProgress(label: "eval") { _, event in
    if case .finished(let done, _) = event { print("scored \(done) tiles") }
    if case .note(let text) = event { print(text) }
}
do {
    let report = try EvaluationRun(settings: settings, progress: progress).run()
    let miou = report.metrics.miou.map { String(format: "%.4f", $0) } ?? "n/a"
    print("tiles \(report.tiles), mIoU \(miou)")
    print(URL(fileURLWithPath: out).appendingPathComponent("report.html").path)
} catch {
    FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
    exit(error.exitStatus)
}
