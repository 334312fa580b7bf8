import Foundation
import GeoLensTestSupport
import Testing

/// End-to-end `geolens explain --method deeplift|deepshap` on the fixture tiles and cloud U-Net.
@Suite struct DeepLiftCommandTests {
    static let model = Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path
    static let tiles = Fixtures.url("fixtures/tiles/images").path

    func readDocument(_ out: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: out.appendingPathComponent("attributions.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func deepLIFTWritesPerBandMapsGroupValuesAndTheDeltaCheck() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-deeplift")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c0.tif",
                                         "--out", out.path, "--method", "deeplift", "--class", "cloud",
                                         "--groups", "vis=1,2,3;nir=4;swir=5,6"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let document = try readDocument(out)
        #expect(document["method"] as? String == "deeplift")
        #expect(document["baseline"] as? String == "mean")
        let records = try #require(document["records"] as? [[String: Any]])
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record["groups"] as? [String] == ["vis", "nir", "swir"])
        let values = try #require(record["values"] as? [Double])
        let fx = try #require(record["f_x"] as? Double), base = try #require(record["base_value"] as? Double)
        let residual = try #require(record["completeness_residual"] as? Double)
        let maxDelta = try #require(record["max_abs_delta"] as? Double)
        // The group sums split f(x) - f(x0) up to the residual the record reports; with one
        // reference the residual is that reference's delta.
        #expect(abs(values.reduce(0, +) - (fx - base) - residual) <= 1e-3 * max(abs(fx - base), 1))
        #expect(abs(abs(residual) - maxDelta) <= 1e-9 * max(abs(fx), 1))
        #expect(abs(residual) <= 0.05 * max(abs(fx - base), 1), "residual \(residual) of \(fx - base)")
        for name in ["tile_r0_c0_deeplift_cloud.tif", "tile_r0_c0_deeplift_cloud.png", "tile_r0_c0_deeplift_cloud_groups.png"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name) missing")
        }
        let gallery = try String(contentsOf: out.appendingPathComponent("gallery.html"), encoding: .utf8)
        #expect(gallery.contains("GeoLens attributions: deeplift") && gallery.contains("max |delta|"))
    }

    @Test func deepSHAPAveragesOverBackgroundTiles() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-deepshap")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r1_c1.tif",
                                         "--out", out.path, "--method", "deepshap", "--background", Self.tiles,
                                         "--background-count", "3", "--batch", "4"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let document = try readDocument(out)
        #expect(document["baseline"] == nil)
        let background = try #require(document["background_tiles"] as? [String])
        #expect(background.count == 3)
        let records = try #require(document["records"] as? [[String: Any]])
        #expect(!records.isEmpty)
        let gallery = try String(contentsOf: out.appendingPathComponent("gallery.html"), encoding: .utf8)
        #expect(gallery.contains("(3 tiles)"))
        for record in records {
            let values = try #require(record["values"] as? [Double])
            #expect(values.count == 6, "one group per band by default")
            let fx = try #require(record["f_x"] as? Double), base = try #require(record["base_value"] as? Double)
            let residual = try #require(record["completeness_residual"] as? Double)
            #expect(abs(values.reduce(0, +) - (fx - base) - residual) <= 1e-3 * max(abs(fx - base), 1))
            #expect((record["max_abs_delta"] as? Double).map { $0 >= abs(residual) - 1e-9 } == true)
            let map = try #require(record["map"] as? String)
            #expect(map.hasPrefix("tile_r1_c1_deepshap_"))
        }
    }

    @Test func tileClassifiersExplainTheClassScore() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-deepshap-classifier")
        defer { try? FileManager.default.removeItem(at: out) }
        let chips = Fixtures.url("fixtures/classification/images").path
        let result = try GeoLensCLI.run(["explain", "--model", Fixtures.url("fixtures/classification/tile_classifier.onnx").path,
                                         "--input", chips + "/water/chip_00.tif", "--out", out.path, "--method", "deepshap",
                                         "--background", chips + "/*/*.tif", "--background-count", "4"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let document = try readDocument(out)
        #expect((document["background_tiles"] as? [String])?.count == 4)
        let records = try #require(document["records"] as? [[String: Any]])
        #expect(records.count == 1, "the top-1 class")
        for record in records {
            let values = try #require(record["values"] as? [Double])
            let fx = try #require(record["f_x"] as? Double), base = try #require(record["base_value"] as? Double)
            let residual = try #require(record["completeness_residual"] as? Double)
            #expect(abs(values.reduce(0, +) - (fx - base) - residual) <= 1e-3 * max(abs(fx - base), 1))
        }
    }

    @Test func deepSHAPWithoutBackgroundOrWithAMismatchedOneIsRefused() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-deepshap-bad")
        defer { try? FileManager.default.removeItem(at: out) }
        let missing = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c0.tif",
                                          "--out", out.path, "--method", "deepshap"])
        #expect(missing.status == 64)
        #expect(missing.stderr.hasPrefix("error:") && missing.stderr.contains("'background'"), "\(missing.stderr)")
        let wrongMethod = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c0.tif",
                                              "--out", out.path, "--method", "deeplift", "--background", Self.tiles])
        #expect(wrongMethod.status == 64)
        #expect(wrongMethod.stderr.contains("applies to deepshap and gradient-shap only"), "\(wrongMethod.stderr)")
        let zeroCount = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c0.tif",
                                            "--out", out.path, "--method", "deepshap", "--background", Self.tiles,
                                            "--background-count", "0"])
        #expect(zeroCount.status == 64)
        #expect(zeroCount.stderr.contains("'background_count' must be between 1 and 1000, got 0"), "\(zeroCount.stderr)")
        let scene = Fixtures.url("fixtures/scene/scene.tif").path
        let mismatched = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c0.tif",
                                             "--out", out.path, "--method", "deepshap", "--background", scene])
        #expect(mismatched.status != 0)
        #expect(mismatched.stderr.hasPrefix("error:") && mismatched.stderr.contains("scene.tif")
                && mismatched.stderr.contains("tile_r0_c0.tif"), "\(mismatched.stderr)")
    }
}
