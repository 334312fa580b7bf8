import Foundation
import GeoLensTestSupport
import Testing

/// End-to-end runs of `geolens explain` on the fixture tiles and the trained cloud U-Net.
@Suite struct ExplainCommandTests {
    static let model = Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path
    static let tiles = Fixtures.url("fixtures/tiles/images").path

    /// attributions.json of a run directory.
    func readRecords(_ out: URL) throws -> [[String: Any]] {
        let data = try Data(contentsOf: out.appendingPathComponent("attributions.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(document["records"] as? [[String: Any]])
    }

    @Test func gradCAMPlusPlusWritesOneGeoTIFFPerTileAndClass() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-cam")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c1.tif",
                                         "--out", out.path, "--method", "gradcam++", "--class", "cloud", "--class", "0"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let records = try readRecords(out)
        #expect(records.count == 2)
        #expect(records.map { $0["class"] as? String } == ["cloud", "clear"])
        #expect(records.allSatisfy { ($0["layer"] as? String)?.isEmpty == false })
        for name in ["tile_r0_c1_gradcam++_cloud.tif", "tile_r0_c1_gradcam++_clear.tif"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name) missing")
        }
        let info = try GeoLensCLI.run(["inspect", out.appendingPathComponent("tile_r0_c1_gradcam++_cloud.tif").path, "--json"])
        #expect(info.status == 0)
        #expect(info.stdout.contains("32633"), "the map keeps the tile's CRS")
    }

    @Test func sanityChecksAddDeletionInsertionAndRandomizationToEachRecord() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-sanity")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c0.tif",
                                         "--out", out.path, "--method", "gradcam++", "--class", "cloud", "--sanity"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let records = try readRecords(out)
        #expect(records.count == 1)
        for record in records {
            let sanity = try #require(record["sanity"] as? [String: Any])
            #expect(sanity["deletion_auc"] as? Double != nil)
            #expect(sanity["insertion_auc"] as? Double != nil)
            #expect(sanity["steps"] as? Int == 10)
            let steps = try #require(sanity["randomization"] as? [[String: Any]])
            #expect((1...5).contains(steps.count))
            #expect(steps.allSatisfy { ($0["layer"] as? String)?.isEmpty == false && $0["spearman"] as? Double != nil })
        }
    }

    @Test func exactShapleyOverBandGroupsIsCompleteAndSharded() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-shap")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/*.tif", "--out", out.path,
                                         "--method", "shap-exact", "--groups", "vis=1,2,3;nir=4;swir=5,6", "--shard", "1/4"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let records = try readRecords(out)
        #expect(!records.isEmpty)
        let tiles = Set(records.compactMap { $0["tile"] as? String })
        #expect(tiles.count < 12, "a shard explains only part of the 12 tiles")
        for record in records {
            #expect(record["groups"] as? [String] == ["vis", "nir", "swir"])
            let values = try #require(record["values"] as? [Double])
            let fx = try #require(record["f_x"] as? Double), base = try #require(record["base_value"] as? Double)
            #expect(abs(values.reduce(0, +) - (fx - base)) <= 1e-4 * max(abs(fx - base), 1))
            #expect(record["evaluations"] as? Int == 8)
        }
    }

    @Test func unknownMethodIsAUsageErrorNamingTheKey() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-bad")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles, "--out", out.path,
                                         "--method", "gradkam"])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error:") && result.stderr.contains("method") && result.stderr.contains("gradcam++"))
    }

    @Test func labelTargetWithoutLabelsNamesTheMissingFlag() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-labels")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c0.tif",
                                         "--out", out.path, "--method", "gradcam", "--target", "fp"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error:") && result.stderr.contains("--labels"))
    }

    @Test func falsePositiveTargetWithLabelsRuns() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-fp")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c0.tif",
                                         "--out", out.path, "--method", "integrated-gradients", "--steps", "8",
                                         "--target", "window:8,8,16,16", "--class", "cloud",
                                         "--labels", Fixtures.url("fixtures/tiles/labels").path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let record = try #require(try readRecords(out).first)
        #expect(record["target"] as? String == "window:8,8,16,16")
        #expect(record["target_pixels"] as? Int == 256)
        #expect((record["values"] as? [Double])?.count == 6)
    }
}
