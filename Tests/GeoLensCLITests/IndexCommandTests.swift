import Foundation
import GeoLensTestSupport
import Testing

/// `geolens index RUNS_DIR` over real eval and train runs; in headless Chromium (when installed)
/// the page's script runs and its filter hides rows.
@Suite("geolens index", .serialized)
struct IndexCommandTests {
    static var chromium: String? {
        (["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] + [ProcessInfo.processInfo.environment["CHROMIUM"]].compactMap { $0 })
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The DOM after scripts ran, from headless Chromium.
    static func dumpDOM(_ url: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(chromium))
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu",
                             "--user-data-dir=" + FileManager.default.temporaryDirectory.appendingPathComponent("geolens-index-\(UUID().uuidString)").path,
                             "--dump-dom", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func runs() throws -> URL {
        let root = try GeoLensCLI.temporaryDirectory("index-cli")
        let eval = try GeoLensCLI.run(["eval", "--model", Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path,
                                       "--images", Fixtures.url("fixtures/tiles/images").path,
                                       "--labels", Fixtures.url("fixtures/tiles/labels").path,
                                       "--out", root.appendingPathComponent("eval-a").path, "--set", "bootstrap_resamples=50"])
        #expect(eval.status == 0, "\(eval.stderr)")
        let train = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", "run_dir=\(root.path)/train/tiny",
                                        "--set", "epochs=1"], in: Fixtures.root)
        #expect(train.status == 0, "\(train.stderr)")
        return root
    }

    @Test func indexesEvalAndTrainRuns() throws {
        let root = try Self.runs()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try GeoLensCLI.run(["index", root.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "index: 1 eval and 1 train run(s) -> \(root.appendingPathComponent("index.html").path)\n")
        let html = try String(contentsOf: root.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(html.contains("href=\"eval-a/report.html\"") && html.contains("href=\"train/tiny/history.csv\""))
        #expect(html.contains("href=\"train/tiny/best.item.json\""))

        if Self.chromium != nil {
            let all = try Self.dumpDOM(root.appendingPathComponent("index.html").absoluteString)
            #expect(all.contains("2 of 2 runs shown"), "the page's script did not run")
            let filtered = try Self.dumpDOM(root.appendingPathComponent("index.html").absoluteString + "#kind=train")
            #expect(filtered.contains("1 of 2 runs shown"))
            let words = try Self.dumpDOM(root.appendingPathComponent("index.html").absoluteString + "#q=cloud_unet_a%20eval-a")
            #expect(words.contains("1 of 2 runs shown"))
        }
        let missing = try GeoLensCLI.run(["index", root.appendingPathComponent("nope").path])
        #expect(missing.status == 64 && missing.stderr.hasPrefix("error: ") && missing.stderr.contains("nope"))
    }
}
