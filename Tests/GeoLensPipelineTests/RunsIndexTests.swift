import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GeoLensPipeline
import GeoLensReport
import GeoLensTestSupport
import Testing

/// The runs index lists eval and train runs found anywhere under a folder, with their model,
/// sha256, data, date, metrics and intervals, and links that lead to files that exist.
@Suite(.serialized) struct RunsIndexTests {
    static let model = Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path

    /// A folder with one real evaluation (nested two levels deep) and one training run made of
    /// its files (history, card, metadata, STAC item).
    static func runsFolder() throws -> URL {
        let root = try GeoLensCLI.temporaryDirectory("runs-index")
        let settings = EvaluationSettings(model: model, images: Fixtures.url("fixtures/tiles/images").path,
                                          labels: Fixtures.url("fixtures/tiles/labels").path,
                                          out: root.appendingPathComponent("evals/cloud a").path, bootstrapResamples: 50)
        _ = try EvaluationRun(settings: settings).run()
        let train = root.appendingPathComponent("train/unet-1")
        try FileManager.default.createDirectory(at: train, withIntermediateDirectories: true)
        let history = """
            [{"epoch": 0, "train_loss": 1.0, "val_miou": 0.4, "val_accuracy": 0.7, "lr": 0.01, "tiles_per_second": 5},
             {"epoch": 1, "train_loss": 0.8, "val_miou": 0.55, "val_accuracy": 0.8, "lr": 0.005, "tiles_per_second": 5},
             {"epoch": 2, "train_loss": 0.7, "val_miou": 0.5, "val_accuracy": 0.78, "lr": 0.001, "tiles_per_second": 5}]
            """
        try Data(history.utf8).write(to: train.appendingPathComponent("history.json"))
        try FileManager.default.copyItem(at: Fixtures.url("fixtures/models/cloud_unet_a.json"), to: train.appendingPathComponent("best.json"))
        try Data(#"{"config": {"data": {"images": "tiles/train"}, "epochs": 3}}"#.utf8).write(to: train.appendingPathComponent("last.meta.json"))
        let checksum = String(repeating: "cd", count: 32)
        try Data(#"{"assets": {"model": {"href": "./best.safetensors", "file:checksum": "1220\#(checksum)"}}}"#.utf8)
            .write(to: train.appendingPathComponent("best.item.json"))
        // Output folders of a run are not searched.
        try FileManager.default.createDirectory(at: train.appendingPathComponent("snapshots"), withIntermediateDirectories: true)
        try Data("[]".utf8).write(to: train.appendingPathComponent("snapshots/history.json"))
        return root
    }

    @Test func listsEveryRunWithItsFactsAndWorkingLinks() throws {
        let root = try Self.runsFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let (url, entries) = try RunsIndexBuilder.write(folder: root)
        #expect(url == root.appendingPathComponent("index.html"))
        #expect(entries.map(\.name) == ["evals/cloud a", "train/unet-1"])
        let eval = entries[0], train = entries[1]
        #expect(eval.kind == .eval && eval.model == "cloud_unet_a.safetensors")
        #expect(eval.sha256 == "630d0d083518ecc60d7f027072574b700857840869968a46f4d16deb38aaf8cb")
        #expect(eval.data.hasSuffix("fixtures/tiles/images") && !eval.date.isEmpty)
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("evals/cloud a/metrics.json"))) as? [String: Any])
        let ci = try #require((metrics["ci95"] as? [String: Any])?["miou"] as? [Double])
        // (JSONSerialization and JSONDecoder may round the last digit differently.)
        func close(_ a: Double?, _ b: Double?) -> Bool { a.flatMap { x in b.map { abs(x - $0) < 1e-12 } } ?? false }
        #expect(close(eval.miou.value, metrics["miou"] as? Double) && close(eval.miou.low, ci[0]) && close(eval.miou.high, ci[1]))
        #expect(eval.extent == "12 tiles")
        #expect(train.kind == .train && train.sha256 == String(repeating: "cd", count: 32) && train.data == "tiles/train")
        #expect(train.miou.value == 0.55 && train.accuracy.value == 0.8 && train.extent == "3 epochs (best 2)")
        #expect(train.model == "best.safetensors (unet)")
        // Every link leads to a file under the folder.
        for entry in entries {
            #expect(!entry.links.isEmpty)
            for link in entry.links {
                let path = try #require(link.href.removingPercentEncoding)
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path), "\(link.href)")
            }
        }
        // The page is well-formed XML with one row per run and the intervals shown.
        let html = try String(contentsOf: url, encoding: .utf8)
        let parser = XMLParser(data: Data(html.replacingOccurrences(of: "<!DOCTYPE html>", with: "").utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(html.components(separatedBy: "<tr data-kind=").count == 3)
        #expect(html.contains(HTML.withInterval(eval.miou.value, eval.miou.low, eval.miou.high)))
        #expect(html.contains("href=\"evals/cloud%20a/report.html\""))
        #expect(html.contains("id=\"filter\"") && html.contains("class=\"sortable\""))
    }

    @Test func badInputsAreOneErrorNamingTheFile() throws {
        let missing = #expect(throws: PipelineError.self) {
            try RunsIndexBuilder.write(folder: URL(fileURLWithPath: "/nonexistent/runs"))
        }
        #expect(missing?.exitStatus == 64 && missing?.message.contains("/nonexistent/runs") == true)
        let root = try GeoLensCLI.temporaryDirectory("runs-index-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try Data("{\"miou\": \"high\"}".utf8).write(to: run.appendingPathComponent("metrics.json"))
        try Data("{}".utf8).write(to: run.appendingPathComponent("state.json"))
        let error = #expect(throws: PipelineError.self) { try RunsIndexBuilder.write(folder: root) }
        #expect(error?.message.contains(run.appendingPathComponent("metrics.json").path) == true)
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("index.html").path))
    }
}
