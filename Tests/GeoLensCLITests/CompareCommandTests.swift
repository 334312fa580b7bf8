import Foundation
import GeoLensTestSupport
import Testing

/// Run directories built in a temporary folder: a hand-written state.json (the eval command is
/// not needed), run.json pointing at the fixture tiles, and fixture label rasters standing in
/// for prediction rasters.
enum RunDirectoryFixture {
    static let tiles = ["tile_r0_c0", "tile_r0_c1", "tile_r1_c0", "tile_r1_c1"]
    static let hostileClass = "<script>alert(1)</script>"

    /// A run whose tile `t` has `correct[t]` of 100 pixels right; predictions are copies of the
    /// label rasters of `predictionSources` (tile names).
    static func make(in root: URL, name: String, correct: [Int], tiles: [String] = tiles,
                     predictionSources: [String]) throws -> URL {
        let directory = root.appendingPathComponent(name)
        let predictions = directory.appendingPathComponent("predictions")
        try FileManager.default.createDirectory(at: predictions, withIntermediateDirectories: true)
        var tileObjects: [String: Any] = [:]
        for (t, tile) in tiles.enumerated() {
            var rows = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]
            for p in 0..<100 {
                let reference = (p + t) % 3
                rows[reference][p < correct[t] ? reference : (reference + 1) % 3] += 1
            }
            var counts = [Int](repeating: 0, count: 16), sums = [Double](repeating: 0, count: 16), right = counts
            counts[12] = 100; sums[12] = 80; right[12] = correct[t]
            // Tile ids are image paths relative to the image folder, as eval records them.
            tileObjects[tile + ".tif"] = ["confusion": ["rows": rows], "ignored_pixels": 0, "entropy_sum": 30.0,
                                 "calibration": ["binCount": 15, "counts": counts, "confidenceSums": sums, "correct": right],
                                 "mutual_information_sum": 0.0, "mutual_information_pixels": 0]
            let source = Fixtures.root.appendingPathComponent("fixtures/tiles/labels/\(predictionSources[t]).tif")
            try FileManager.default.copyItem(at: source, to: predictions.appendingPathComponent("\(tile)_pred.tif"))
        }
        let state: [String: Any] = [
            "format_version": 1,
            "configuration": ["classes": ["clear", "cloud", hostileClass], "ignore_index": 255, "output": "logits", "calibration_bins": 15],
            "tiles": tileObjects,
        ]
        try JSONSerialization.data(withJSONObject: state).write(to: directory.appendingPathComponent("state.json"))
        let manifest: [String: Any] = [
            "geolens_version": "0.1.0",
            "command": "eval", "checkpoint": "models/\(name).safetensors",
            "checkpoint_sha256": String(repeating: "ab", count: 32), "checkpoint_format": "safetensors",
            "seed": 0, "threads": 2, "date": "2026-01-01T00:00:00Z",
            "images": Fixtures.root.appendingPathComponent("fixtures/tiles/images").path,
            "labels": Fixtures.root.appendingPathComponent("fixtures/tiles/labels").path,
        ]
        try JSONSerialization.data(withJSONObject: manifest).write(to: directory.appendingPathComponent("run.json"))
        return directory
    }
}

@Suite("geolens compare and geolens report")
struct CompareCommandTests {
    @Test("compare writes comparison.html and comparison.json with deltas and disagreement thumbnails")
    func compareTwoRuns() throws {
        let root = try GeoLensCLI.temporaryDirectory("compare")
        defer { try? FileManager.default.removeItem(at: root) }
        let tiles = RunDirectoryFixture.tiles
        let a = try RunDirectoryFixture.make(in: root, name: "run_a", correct: [60, 55, 65, 50], predictionSources: tiles)
        let b = try RunDirectoryFixture.make(in: root, name: "run_b", correct: [90, 85, 95, 80], predictionSources: tiles.reversed())
        // The same attribution (tile, method, class) in both runs is shown side by side.
        let onePixelPNG = try #require(Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="))
        for run in [a, b] {
            try FileManager.default.createDirectory(at: run.appendingPathComponent("explain"), withIntermediateDirectories: true)
            try onePixelPNG.write(to: run.appendingPathComponent("explain/tile_r0_c0_gradcam++_cloud.png"))
        }
        let out = root.appendingPathComponent("cmp")
        let result = try GeoLensCLI.run(["compare", a.path, b.path, "--out", out.path, "--resamples", "200"])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOf: out.appendingPathComponent("comparison.html"), encoding: .utf8)
        let sources = try #require(htmlImageSources(html))
        // 4 tiles disagree; each row: composite, reference, run_a, run_b, disagreement; plus 2 attributions.
        #expect(sources.count == 22)
        #expect(html.contains("tile_r0_c0 · gradcam++ · class cloud"))
        #expect(sources.allSatisfy { $0.hasPrefix("data:image/png;base64,") })
        #expect(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        let json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("comparison.json"))) as? [String: Any])
        let pair = try #require((json["pairs"] as? [[String: Any]])?.first)
        let miou = try #require((pair["comparisons"] as? [[String: Any]])?.first { $0["metric"] as? String == "miou" })
        #expect(try #require(miou["delta"] as? Double) > 0.2)
        #expect((pair["tiles"] as? [String: Int])?["b_better"] == 4)
    }

    @Test("Different tile sets are refused with a clear error unless --common-subset")
    func tileMismatch() throws {
        let root = try GeoLensCLI.temporaryDirectory("compare")
        defer { try? FileManager.default.removeItem(at: root) }
        let tiles = RunDirectoryFixture.tiles
        let a = try RunDirectoryFixture.make(in: root, name: "a", correct: [60, 55, 65, 50], predictionSources: tiles)
        let b = try RunDirectoryFixture.make(in: root, name: "b", correct: [70, 75, 80], tiles: Array(tiles.prefix(3)),
                                             predictionSources: Array(tiles.prefix(3)))
        let out = root.appendingPathComponent("cmp")
        let refused = try GeoLensCLI.run(["compare", a.path, b.path, "--out", out.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("error: compare: tile \"tile_r1_c1.tif\"") && refused.stderr.contains("--common-subset"))
        let subset = try GeoLensCLI.run(["compare", a.path, b.path, "--out", out.path, "--common-subset", "--resamples", "100"])
        #expect(subset.status == 0, "\(subset.stderr)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("comparison.json"))) as? [String: Any])
        #expect(json["tiles"] as? Int == 3 && json["dropped_tiles"] as? Int == 1)
        let usage = try GeoLensCLI.run(["compare", a.path, "--out", out.path])
        #expect(usage.status == 64)
    }

    @Test("report writes report.html with thumbnails read from the GeoTIFFs, images beside on request")
    func runReport() throws {
        let root = try GeoLensCLI.temporaryDirectory("report")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try RunDirectoryFixture.make(in: root, name: "run", correct: [60, 55, 65, 50],
                                               predictionSources: RunDirectoryFixture.tiles.reversed())
        // A label raster stands in for one tile's entropy raster (values 0..2, nodata 255).
        try FileManager.default.copyItem(at: Fixtures.root.appendingPathComponent("fixtures/tiles/labels/tile_r1_c1.tif"),
                                         to: run.appendingPathComponent("predictions/tile_r1_c1_entropy.tif"))
        let result = try GeoLensCLI.run(["report", run.path, "--images-beside"])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        let sources = try #require(htmlImageSources(html))
        // 4 tiles x composite, reference, prediction, error, and one entropy thumbnail.
        #expect(sources.count == 17)
        #expect(sources.contains("report_files/tile_r1_c1.tif_entropy.png"))
        #expect(html.contains("softmax entropy (nats) (n = 4096)"))
        for src in sources {
            #expect(src.hasPrefix("report_files/"))
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(src).path))
        }
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>alert"))
        #expect(html.contains("models/run.safetensors"))
        let missing = try GeoLensCLI.run(["report", root.path])
        #expect(missing.status == 1 && missing.stderr.contains("has no state.json"))
    }
}
