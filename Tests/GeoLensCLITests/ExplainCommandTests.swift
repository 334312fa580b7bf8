import Foundation
import GeoLensGeo
import GeoLensReport
import GeoLensTestSupport
import Testing

/// End-to-end runs of `geolens explain` on the fixture tiles and the trained cloud U-Net.
@Suite struct ExplainCommandTests {
    static let model = Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path
    static let tiles = Fixtures.url("fixtures/tiles/images").path

    /// attributions.json of a run directory.
    func readRecords(_ out: URL, file: String = "attributions.json") throws -> [[String: Any]] {
        let data = try Data(contentsOf: out.appendingPathComponent(file))
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
        // A shard writes its own attributions file, so shards can share one --out.
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("attributions.json").path))
        let records = try readRecords(out, file: "attributions-shard-1-of-4.json")
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

    @Test func exactShapleyOverSuperpixelCellsWritesTheSegmentsAndBoundaries() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-superpixels")
        defer { try? FileManager.default.removeItem(at: out) }
        // tile_r1_c0 has nodata pixels (0 in every band) along its left edge.
        let tile = Self.tiles + "/tile_r1_c0.tif"
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", tile, "--out", out.path,
                                         "--method", "shap-exact", "--groups", "vis=1,2,3;nir=4;swir=5,6",
                                         "--superpixels", "3", "--class", "cloud"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let data = try Data(contentsOf: out.appendingPathComponent("attributions.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cells = try #require(document["cells"] as? [String: Any])
        #expect(cells["kind"] as? String == "superpixels" && cells["superpixels"] as? Int == 3 && cells["compactness"] as? Double == 10)
        let record = try #require(try readRecords(out).first)
        #expect(record["cell_kind"] as? String == "superpixels")
        let count = try #require(record["cell_count"] as? Int)
        #expect((1...4).contains(count))
        let groups = try #require(record["groups"] as? [String])
        #expect(groups == ["vis", "nir", "swir"].flatMap { g in (1...count).map { "\(g)@s\($0)" } })
        #expect(record["evaluations"] as? Int == 1 << groups.count)
        let values = try #require(record["values"] as? [Double])
        let fx = try #require(record["f_x"] as? Double), base = try #require(record["base_value"] as? Double)
        #expect(abs(values.reduce(0, +) - (fx - base)) <= 1e-4 * max(abs(fx - base), 1))

        // The label raster: georeferenced like the tile, segments 1...K exactly on the valid pixels.
        #expect(record["segments"] as? String == "tile_r1_c0_superpixels.tif")
        let segmentsPath = out.appendingPathComponent("tile_r1_c0_superpixels.tif").path
        let segments = try Raster(path: segmentsPath)
        let labels = try segments.read().values.scalars.map { Int($0) }
        let valid = try Raster(path: tile).read().validity
        #expect(valid.contains(false) && valid.contains(true))
        for i in labels.indices { #expect((labels[i] > 0) == valid[i], "pixel \(i): segment \(labels[i]), valid \(valid[i])") }
        #expect(Set(labels.filter { $0 > 0 }) == Set(1...count))
        let info = try GeoLensCLI.run(["inspect", segmentsPath, "--json"])
        #expect(info.stdout.contains("32633") && info.stdout.contains("Int32"), "the segment raster keeps the tile's CRS")

        // The heatmap: segment boundaries in black over the map (drawn `zoom` times larger in the figure).
        let png = try PNGReader.read(out.appendingPathComponent("tile_r1_c0_shap-exact_cloud.png"))
        let (width, height) = (segments.width, segments.height)
        let layout = AttributionFigure.Layout(mapWidth: width, mapHeight: height, hasNote: true, hasScaleBar: true)
        #expect(png.width == layout.width && png.height == layout.height)
        var boundaryPixels = 0
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let boundary = (x + 1 < width && labels[i + 1] != labels[i]) || (y + 1 < height && labels[i + width] != labels[i])
                let black = png.color(x: layout.map.x + x * layout.zoom, y: layout.map.y + y * layout.zoom) == RGBA(0, 0, 0)
                if boundary { boundaryPixels += 1; #expect(black, "boundary pixel \(x),\(y) is not drawn") }
            }
        }
        #expect(boundaryPixels > 0)
    }

    @Test(arguments: [(["--superpixels", "0"], "superpixels"), (["--superpixels", "-3"], "superpixels"),
                      (["--superpixels", "3", "--grid", "2x2"], "grid"), (["--superpixels", "3", "--compactness", "0"], "compactness"),
                      (["--compactness", "5"], "compactness")])
    func badSuperpixelSettingsAreOneLineUsageErrors(_ flags: [String], key: String) throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-bad-superpixels")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c0.tif",
                                         "--out", out.path, "--method", "shap-exact"] + flags)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error:") && result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("'\(key)'"), "stderr: \(result.stderr)")
    }

    @Test("spatial cells with a CAM method are a usage error, not silently ignored",
          arguments: [(["--grid", "2x2"], "grid"), (["--superpixels", "4"], "superpixels")])
    func cellsWithCAMAreUsageErrors(_ flags: [String], key: String) throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-cam-cells")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tiles + "/tile_r0_c0.tif",
                                         "--out", out.path, "--method", "gradcam++"] + flags)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error:") && result.stderr.split(separator: "\n").count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("'\(key)'") && result.stderr.contains("SHAP family"), "stderr: \(result.stderr)")
    }

    @Test func configFileSuperpixelKeysAreCheckedStrictly() throws {
        let out = try GeoLensCLI.temporaryDirectory("explain-superpixel-config")
        defer { try? FileManager.default.removeItem(at: out) }
        func run(_ extra: String) throws -> (status: Int32, stderr: String) {
            let config = out.appendingPathComponent("explain.yaml")
            try Data("""
                model: \(Self.model)
                input: \(Self.tiles)/tile_r0_c0.tif
                out: \(out.path)/run
                method: kernel-shap
                samples: 8
                groups: "vis=1,2,3;ir=4,5,6"
                \(extra)
                """.utf8).write(to: config)
            let result = try GeoLensCLI.run(["explain", "--config", config.path])
            return (result.status, result.stderr)
        }
        let typo = try run("superpixel: 4")
        #expect(typo.status == 64 && typo.stderr.contains("did you mean 'superpixels'") && typo.stderr.contains("explain.yaml"))
        let both = try run("superpixels: 4\ngrid: 2x2")
        #expect(both.status == 64 && both.stderr.contains("'grid'") && both.stderr.contains("explain.yaml"))
        let bands = try run("superpixels: 4\nsuperpixel_bands: nir")
        #expect(bands.status == 64 && bands.stderr.contains("superpixel_bands"))
        let fine = try run("superpixels: 4\ncompactness: 20\nsuperpixel_bands: composite\nsanity: true\nclasses: [cloud]")
        #expect(fine.status == 0, "stderr: \(fine.stderr)")
        // Superpixel values map back to pixels, so the sanity checks run as for grid cells.
        let record = try #require(try readRecords(out.appendingPathComponent("run")).first)
        #expect(record["cell_kind"] as? String == "superpixels")
        let sanity = try #require(record["sanity"] as? [String: Any])
        #expect(sanity["deletion_auc"] as? Double != nil && sanity["note"] == nil)
    }
}
