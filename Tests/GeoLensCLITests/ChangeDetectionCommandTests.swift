import Foundation
import GeoLensGeo
import GeoLensTestSupport
import Testing

/// Change detection end to end: two-date tiles cut at test time from the real Sentinel-2 raster
/// (bands 1-4 date 1, 5-8 date 2: B4, B3, B2, B8A), labelled by the NDVI change between the
/// dates, a built-in `siamese-unet` trained with `geolens train`, then evaluated, explained
/// over the two dates and used to predict the whole scene.
@Suite(.serialized) struct ChangeDetectionCommandTests {
    /// Writes 64 x 64 two-date tiles and their change labels (|NDVI2 - NDVI1| > 0.15) into `dir`.
    static func cutTiles(from raster: Raster, into dir: URL) throws -> (images: URL, labels: URL) {
        let images = dir.appendingPathComponent("images"), labels = dir.appendingPathComponent("labels")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: labels, withIntermediateDirectories: true)
        for row in 0..<2 {
            for column in 0..<4 {
                let window = RasterWindow(x: 16 + column * 128, y: 32 + row * 160, width: 64, height: 64)
                let block = try raster.read(window: window)
                let georeference = Georeference(of: raster, window: window)
                let name = "t_r\(row)_c\(column).tif"
                try GeoTIFFWriter.writeFloat32(block.values, to: images.appendingPathComponent(name).path, georeference: georeference)
                let v = block.values.scalars, plane = 64 * 64
                let change: [UInt8] = (0..<plane).map { i in
                    func ndvi(_ red: Int, _ nir: Int) -> Float { (v[nir * plane + i] - v[red * plane + i]) / max(v[nir * plane + i] + v[red * plane + i], 1) }
                    return abs(ndvi(4, 7) - ndvi(0, 3)) > 0.15 ? 1 : 0
                }
                try GeoTIFFWriter.writeClassIds(change, width: 64, height: 64, to: labels.appendingPathComponent(name).path,
                                                georeference: georeference)
            }
        }
        return (images, labels)
    }

    @Test func aSiameseUNetTrainsAndEvaluatesExplainsAndPredictsTwoDateTiles() throws {
        guard let real = Fixtures.realData?.appendingPathComponent("s2_8band_two_dates_uint16.tif") else {
            print("skipped: ../shared/realdata is absent"); return
        }
        let root = try GeoLensCLI.temporaryDirectory("change-detection")
        defer { try? FileManager.default.removeItem(at: root) }
        let (images, labels) = try Self.cutTiles(from: try Raster(path: real.path), into: root)
        let config = root.appendingPathComponent("train.yaml")
        try """
            model:
              architecture: siamese-unet
              classes: [no-change, change]
              inputs:
                - {name: t1, source: images, bands: [1, 2, 3, 4], input_scale: 0.0001}
                - {name: t2, source: images, bands: [5, 6, 7, 8], input_scale: 0.0001}
              architecture_options: {base_channels: 8, depth: 2, fusion: concat}
            data: {images: \(images.path), labels: \(labels.path), validation_fraction: 0.25}
            epochs: 3
            batch_size: 2
            optimizer: {name: adamw, learning_rate: 0.003}
            run_dir: \(root.appendingPathComponent("run").path)
            """.write(to: config, atomically: true, encoding: .utf8)
        let trained = try GeoLensCLI.run(["train", "--config", config.path])
        #expect(trained.status == 0, "stderr: \(trained.stderr)")
        let checkpoint = root.appendingPathComponent("run/best.safetensors")
        let card = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("run/best.json"))) as? [String: Any])
        let inputs = try #require(card["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["name"] as? String } == ["t1", "t2"])
        #expect((inputs[1]["mean"] as? [Double])?.count == 4, "each date keeps its own training statistics")

        let eval = root.appendingPathComponent("eval")
        let evaluated = try GeoLensCLI.run(["eval", "--model", checkpoint.path, "--images", images.path, "--labels", labels.path,
                                            "--out", eval.path, "--write-predictions"])
        #expect(evaluated.status == 0, "stderr: \(evaluated.stderr)")
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: eval.appendingPathComponent("metrics.json"))) as? [String: Any])
        #expect(metrics["classes"] as? [String] == ["no-change", "change"])
        #expect((metrics["tiles"] as? Int) == 8)
        let report = try String(contentsOf: eval.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(report.contains("date 2"), "the report shows both dates' composites")

        let explain = root.appendingPathComponent("explain")
        let explained = try GeoLensCLI.run(["explain", "--model", checkpoint.path, "--input", images.appendingPathComponent("t_r0_c1.tif").path,
                                            "--out", explain.path, "--method", "shap-exact", "--groups", "date1=t1;date2=t2",
                                            "--class", "change"])
        #expect(explained.status == 0, "stderr: \(explained.stderr)")
        let attributions = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: explain.appendingPathComponent("attributions.json"))) as? [String: Any])
        let records = try #require(attributions["records"] as? [[String: Any]])
        #expect(records.first?["groups"] as? [String] == ["date1", "date2"])

        let predict = root.appendingPathComponent("predict")
        let predicted = try GeoLensCLI.run(["predict", "--model", checkpoint.path, "--input", real.path, "--out", predict.path, "--tile", "64"])
        #expect(predicted.status == 0, "stderr: \(predicted.stderr)")
        let classes = try Raster(path: predict.appendingPathComponent("s2_8band_two_dates_uint16_pred.tif").path)
        #expect(classes.width == 578 && classes.height == 379)
    }

    /// `geolens train` on samples with a warped source: a U-Net fed the tile's bands and the DEM
    /// warped onto each tile (7 stacked channels), then evaluated with the same source.
    @Test func trainTakesSourcesAndTheCheckpointEvaluatesWithThem() throws {
        let root = try GeoLensCLI.temporaryDirectory("train-sources")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("train.yaml")
        try """
            model:
              architecture: unet
              classes: [clear, cloud, shadow]
              inputs:
                - {name: image, source: images, bands: [1, 2, 3, 4, 5, 6], input_scale: 0.0001}
                - {name: dem, source: dem, bands: [1], resampling: bilinear}
              architecture_options: {base_channels: 8, depth: 2}
            data:
              images: \(Fixtures.url("fixtures/tiles/images").path)
              labels: \(Fixtures.url("fixtures/tiles/labels").path)
              sources: {dem: \(Fixtures.url("fixtures/sources/dem_4326.tif").path)}
            epochs: 2
            run_dir: \(root.appendingPathComponent("run").path)
            """.write(to: config, atomically: true, encoding: .utf8)
        let trained = try GeoLensCLI.run(["train", "--config", config.path])
        #expect(trained.status == 0, "stderr: \(trained.stderr)")
        let card = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("run/best.json"))) as? [String: Any])
        #expect(card["in_channels"] as? Int == 7)
        #expect(((card["inputs"] as? [[String: Any]])?[1]["std"] as? [Double])?.first.map { $0 > 1 } == true,
                "the DEM input keeps its own training statistics (metres)")
        let eval = try GeoLensCLI.run(["eval", "--model", root.appendingPathComponent("run/best.safetensors").path,
                                       "--images", Fixtures.url("fixtures/tiles/images").path,
                                       "--labels", Fixtures.url("fixtures/tiles/labels").path, "--out", root.appendingPathComponent("eval").path,
                                       "--source", "dem=\(Fixtures.url("fixtures/sources/dem_4326.tif").path)"])
        #expect(eval.status == 0, "stderr: \(eval.stderr)")
        let unbound = try GeoLensCLI.run(["eval", "--model", root.appendingPathComponent("run/best.safetensors").path,
                                          "--images", Fixtures.url("fixtures/tiles/images").path,
                                          "--labels", Fixtures.url("fixtures/tiles/labels").path, "--out", root.appendingPathComponent("eval2").path])
        #expect(unbound.status == 64 && unbound.stderr.contains("--source dem=PATH"))
    }

    @Test func aSourceFlagWithoutInputsThatReadItIsAUsageError() throws {
        let out = try GeoLensCLI.temporaryDirectory("unused-source")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["eval", "--model", "fixtures/models/cloud_unet_a.safetensors", "--images", "fixtures/tiles/images",
                                         "--labels", "fixtures/tiles/labels", "--out", out.appendingPathComponent("run").path,
                                         "--source", "dem=fixtures/sources/dem_4326.tif"], in: Fixtures.root)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains("source 'dem'"), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("run").path), "nothing is written")
    }

    @Test func evalOfTheFusionModelTakesSourcesFromFlags() throws {
        let out = try GeoLensCLI.temporaryDirectory("fusion-eval")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["eval", "--model", "fixtures/sources/fusion.onnx", "--images", "fixtures/tiles/images",
                                         "--labels", "fixtures/tiles/labels", "--out", out.path,
                                         "--source", "dem=fixtures/sources/dem_4326.tif", "--source", "weather=fixtures/sources/weather.csv"],
                                        in: Fixtures.root)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("run.json"))) as? [String: Any])
        #expect((manifest["sources"] as? [String: String])?.keys.sorted() == ["dem", "weather"])
        // A restart into the same directory with another source is another run, and refused.
        let otherWeather = out.appendingPathComponent("other-weather.csv")
        try FileManager.default.copyItem(at: Fixtures.url("fixtures/sources/weather.csv"), to: otherWeather)
        let restarted = try GeoLensCLI.run(["eval", "--model", "fixtures/sources/fusion.onnx", "--images", "fixtures/tiles/images",
                                            "--labels", "fixtures/tiles/labels", "--out", out.path,
                                            "--source", "dem=fixtures/sources/dem_4326.tif", "--source", "weather=\(otherWeather.path)"],
                                           in: Fixtures.root)
        #expect(restarted.status != 0 && restarted.stderr.hasPrefix("error: "), "stderr: \(restarted.stderr)")
        // The same from a config's sources: map, a flag replacing one binding.
        let fromConfig = try GeoLensCLI.run(["eval", "--config", "configs/eval-sources.yaml", "--set", "out=\(out.path)-config",
                                             "--set", "write_predictions=false",
                                             "--source", "weather=\(Fixtures.url("fixtures/sources/weather.csv").path)"], in: Fixtures.root)
        defer { try? FileManager.default.removeItem(atPath: out.path + "-config") }
        #expect(fromConfig.status == 0, "stderr: \(fromConfig.stderr)")
        let a = try Data(contentsOf: out.appendingPathComponent("metrics.json"))
        let b = try Data(contentsOf: URL(fileURLWithPath: out.path + "-config/metrics.json"))
        let ma = try #require(try JSONSerialization.jsonObject(with: a) as? [String: Any])
        let mb = try #require(try JSONSerialization.jsonObject(with: b) as? [String: Any])
        #expect((ma["miou"] as? Double) == (mb["miou"] as? Double) && ma["miou"] != nil)
        let missing = try GeoLensCLI.run(["eval", "--model", "fixtures/sources/fusion.onnx", "--images", "fixtures/tiles/images",
                                          "--labels", "fixtures/tiles/labels", "--out", out.path + "-b",
                                          "--source", "dem=fixtures/sources/dem_4326.tif"], in: Fixtures.root)
        #expect(missing.status == 64 && missing.stderr.contains("--source weather=PATH"))
    }
}
