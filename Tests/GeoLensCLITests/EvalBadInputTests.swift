import Foundation
import GeoLensGeo
import GeoLensTestSupport
import Testing

/// Bad input to `geolens eval`: one `error:` line naming the problem, a non-zero exit, nothing half-written.
@Suite("eval rejects bad input with one clear error")
struct EvalBadInputTests {
    static let model = Fixtures.url("fixtures/models/cloud_unet_a.safetensors")
    static let images = Fixtures.url("fixtures/tiles/images")
    static let labels = Fixtures.url("fixtures/tiles/labels")

    /// A copy of the fixture tiles that a test may damage.
    func copyTiles() throws -> URL {
        let root = try GeoLensCLI.temporaryDirectory("geolens-bad")
        try FileManager.default.copyItem(at: Self.images, to: root.appendingPathComponent("images"))
        try FileManager.default.copyItem(at: Self.labels, to: root.appendingPathComponent("labels"))
        return root
    }

    func expectError(_ result: GeoLensCLI.Result, status: Int32 = 1, mentions: [String],
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("eval:") }
        #expect(lines.count == 1 && lines[0].hasPrefix("error: "), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        for word in mentions {
            #expect(result.stderr.contains(word), "'\(word)' missing from: \(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    func eval(images: URL, labels: URL, model: URL = Self.model, extra: [String] = [], out: URL) throws -> GeoLensCLI.Result {
        try GeoLensCLI.run(["eval", "--model", model.path, "--images", images.path, "--labels", labels.path,
                            "--out", out.path] + extra)
    }

    @Test func missingLabelForAnImage() throws {
        let root = try copyTiles()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.removeItem(at: root.appendingPathComponent("labels/tile_r1_c2.tif"))
        let result = try eval(images: root.appendingPathComponent("images"), labels: root.appendingPathComponent("labels"),
                              out: root.appendingPathComponent("out"))
        expectError(result, mentions: ["tile_r1_c2", "no label"])
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("out/metrics.json").path))
    }

    @Test func labelImageSizeMismatch() throws {
        let root = try copyTiles()
        defer { try? FileManager.default.removeItem(at: root) }
        let label = root.appendingPathComponent("labels/tile_r0_c1.tif")
        let source = try Raster(path: label.path)
        try FileManager.default.removeItem(at: label)
        try GeoTIFFWriter.writeClassIds([UInt8](repeating: 0, count: 32 * 32), width: 32, height: 32, to: label.path,
                                        georeference: Georeference(of: source))
        let result = try eval(images: root.appendingPathComponent("images"), labels: root.appendingPathComponent("labels"),
                              out: root.appendingPathComponent("out"))
        expectError(result, mentions: ["tile_r0_c1.tif"])
    }

    /// The fixture checkpoint copied into `root` with its model card changed by `edit`.
    func checkpoint(in root: URL, editingCard edit: (inout [String: Any]) -> Void) throws -> URL {
        let model = root.appendingPathComponent("m.safetensors")
        try FileManager.default.copyItem(at: Self.model, to: model)
        var card = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("fixtures/models/cloud_unet_a.json"))) as! [String: Any]
        edit(&card)
        try JSONSerialization.data(withJSONObject: card).write(to: root.appendingPathComponent("m.safetensors.json"))
        return model
    }

    @Test func bandsDifferFromModelChannels() throws {
        let root = try GeoLensCLI.temporaryDirectory("geolens-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        let model = try checkpoint(in: root) { $0["bands"] = [1, 2, 3, 4, 5, 7] }
        let result = try eval(images: Self.images, labels: Self.labels, model: model, out: root.appendingPathComponent("out"))
        expectError(result, mentions: ["6 bands", "band 7"])
    }

    @Test func wrongClassCountInCard() throws {
        let root = try GeoLensCLI.temporaryDirectory("geolens-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        let model = try checkpoint(in: root) { $0["classes"] = ["clear", "cloud"] }
        let result = try eval(images: Self.images, labels: Self.labels, model: model, out: root.appendingPathComponent("out"))
        expectError(result, mentions: ["outc.conv.weight", "m.safetensors"])
    }

    @Test func emptyTileSet() throws {
        let root = try GeoLensCLI.temporaryDirectory("geolens-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let result = try eval(images: empty, labels: Self.labels, out: root.appendingPathComponent("out"))
        expectError(result, mentions: ["empty", "no rasters"])
    }

    @Test func unknownConfigKey() throws {
        let root = try GeoLensCLI.temporaryDirectory("geolens-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("eval.yaml")
        try "model: \(Self.model.path)\nimages: \(Self.images.path)\nlabels: \(Self.labels.path)\nout: \(root.path)/out\nignore_idx: 3\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let result = try GeoLensCLI.run(["eval", "--config", config.path])
        expectError(result, status: 64, mentions: ["ignore_idx", "did you mean 'ignore_index'", "eval.yaml"])
    }

    @Test func outOfRangeAndIllTypedValues() throws {
        let root = try GeoLensCLI.temporaryDirectory("geolens-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        let base = ["eval", "--model", Self.model.path, "--images", Self.images.path, "--labels", Self.labels.path,
                    "--out", root.appendingPathComponent("out").path]
        expectError(try GeoLensCLI.run(base + ["--set", "batch=0"]), status: 64, mentions: ["batch"])
        expectError(try GeoLensCLI.run(base + ["--set", "mc_dropout=lots"]), status: 64, mentions: ["mc_dropout"])
        expectError(try GeoLensCLI.run(["eval", "--images", Self.images.path, "--labels", Self.labels.path, "--out", root.path]),
                    status: 64, mentions: ["model"])
    }

    @Test func missingAndCorruptCheckpoint() throws {
        let root = try GeoLensCLI.temporaryDirectory("geolens-bad")
        defer { try? FileManager.default.removeItem(at: root) }
        expectError(try eval(images: Self.images, labels: Self.labels, model: root.appendingPathComponent("none.safetensors"),
                             out: root.appendingPathComponent("out")), mentions: ["none.safetensors", "does not exist"])
        let truncated = root.appendingPathComponent("t.safetensors")
        let bytes = try Data(contentsOf: Self.model)
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        try FileManager.default.copyItem(at: Fixtures.url("fixtures/models/cloud_unet_a.json"),
                                         to: root.appendingPathComponent("t.safetensors.json"))
        expectError(try eval(images: Self.images, labels: Self.labels, model: truncated, out: root.appendingPathComponent("out")),
                    mentions: ["t.safetensors"])
    }
}
