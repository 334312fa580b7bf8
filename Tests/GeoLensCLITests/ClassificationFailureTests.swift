import Foundation
import GeoLensTestSupport
import Testing

/// `--on-error skip` and `--max-failures` for tile-task evaluations: a broken chip is journaled,
/// listed under failed_tiles and left out of the metrics; the limit stops the run with one error.
@Suite(.serialized) struct ClassificationFailureTests {
    static let fixtures = Fixtures.url("fixtures/classification")

    /// The fixture chips in class folders plus one file that is not a raster.
    static func imagesWithABrokenChip(in root: URL) throws -> URL {
        let images = root.appendingPathComponent("images")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("images"), to: images)
        try Data("not a GeoTIFF".utf8).write(to: images.appendingPathComponent("cloud/chip_99.tif"))
        return images
    }

    @Test func skipListsTheBrokenChipAndScoresTheRest() throws {
        let root = try GeoLensCLI.temporaryDirectory("classification-skip")
        defer { try? FileManager.default.removeItem(at: root) }
        let images = try Self.imagesWithABrokenChip(in: root)
        let model = Self.fixtures.appendingPathComponent("tile_classifier.onnx").path
        let failed = try GeoLensCLI.run(["eval", "--model", model, "--images", images.path, "--class-folders",
                                         "--out", root.appendingPathComponent("fail").path])
        #expect(failed.status == 1 && failed.stderr.contains("error: ") && failed.stderr.contains("chip_99.tif"), "\(failed.stderr)")

        let out = root.appendingPathComponent("skip")
        let result = try GeoLensCLI.run(["eval", "--model", model, "--images", images.path, "--class-folders",
                                         "--on-error", "skip", "--max-failures", "1", "--out", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("1 of 16 tiles failed and were skipped"), "\(result.stderr)")
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("metrics.json"))) as? [String: Any])
        #expect(metrics["tiles"] as? Int == 15)
        let failures = try #require(metrics["failed_tiles"] as? [[String: Any]])
        #expect(failures.count == 1 && failures[0]["tile"] as? String == "cloud/chip_99.tif")
        // The same metrics as the clean fixture run.
        let clean = root.appendingPathComponent("clean")
        #expect(try GeoLensCLI.run(["eval", "--model", model, "--images", Self.fixtures.appendingPathComponent("images").path,
                                    "--class-folders", "--out", clean.path]).status == 0)
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: clean.appendingPathComponent("metrics.json"))) as? [String: Any])
        #expect(metrics["overall_accuracy"] as? Double == reference["overall_accuracy"] as? Double)
        let state = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("state.json"))) as? [String: Any])
        #expect((state["failed_tiles"] as? [Any])?.count == 1)

        let limited = try GeoLensCLI.run(["eval", "--model", model, "--images", images.path, "--class-folders",
                                          "--on-error", "skip", "--max-failures", "0", "--out", root.appendingPathComponent("limited").path])
        #expect(limited.status == 1 && limited.stderr.contains("more than max_failures 0"), "\(limited.stderr)")
    }
}
