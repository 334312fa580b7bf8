import Foundation
import GeoLensEval
import GeoLensGeo
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import GeoLensTrain
import Testing

/// A tile classifier on real Sentinel-2 chips: chips cut at test time from
/// `../shared/realdata/s2_l1c_13band_uint16.tif` (13 bands, 9 x 8 pixels) into a temporary
/// folder, labelled by their mean NDVI, a narrow built-in resnet18 trained through the library,
/// then `geolens eval` with its report and `geolens explain` with GradCAM++ of the trained checkpoint.
@Suite(.serialized, .enabled(if: Fixtures.realData != nil, "../shared/realdata is absent"))
struct RealChipClassifierTests {
    static let chip = 4

    /// Cuts every `chip` x `chip` window (stride 1) into `images/<class>/`, the class from the
    /// chip's mean NDVI (B8 against B4) against the median over chips; returns the chip count per class.
    static func cutChips(into images: URL) throws -> [String: Int] {
        let path = try #require(Fixtures.realData?.appendingPathComponent("s2_l1c_13band_uint16.tif").path)
        let raster = try Raster(path: path)
        #expect(raster.bandCount == 13)
        var chips: [(window: RasterWindow, values: Tensor, ndvi: Double)] = []
        for y in 0...(raster.height - chip) {
            for x in 0...(raster.width - chip) {
                let window = RasterWindow(x: x, y: y, width: chip, height: chip)
                let block = try raster.read(window: window)
                let values = block.values.scalars, plane = chip * chip
                var ndvi = 0.0
                for i in 0..<plane {
                    let red = Double(values[3 * plane + i]), nir = Double(values[7 * plane + i])
                    ndvi += (nir - red) / max(nir + red, 1)
                }
                chips.append((window, block.values, ndvi / Double(plane)))
            }
        }
        let median = chips.map(\.ndvi).sorted()[chips.count / 2]
        var counts: [String: Int] = [:]
        for (i, c) in chips.enumerated() {
            let name = c.ndvi >= median ? "greener" : "barer"
            let folder = images.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try GeoTIFFWriter.writeFloat32(c.values, to: folder.appendingPathComponent(String(format: "chip_%02d.tif", i)).path,
                                           georeference: Georeference(of: raster, window: c.window))
            counts[name, default: 0] += 1
        }
        return counts
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test("Sentinel-2 chips: train resnet18, eval with report, explain with GradCAM++")
    func trainEvalExplain() throws {
        let root = try GeoLensCLI.temporaryDirectory("real-chips")
        defer { try? FileManager.default.removeItem(at: root) }
        let images = root.appendingPathComponent("images")
        let counts = try Self.cutChips(into: images)
        #expect(counts.count == 2 && counts.values.reduce(0, +) == 30 && counts.values.allSatisfy { $0 >= 10 }, "\(counts)")

        // A narrow resnet18 (8 stem channels) over the 13 bands, reflectance scale.
        let classes = ["barer", "greener"]
        let card = ModelCard(architecture: "resnet18", inChannels: 13, classes: classes, inputScale: 1e-4,
                             architectureOptions: ["width": .number(8)], task: .classification)
        var data = DataConfiguration(images: images.path, labels: "")
        data.classFolders = true
        data.validationFraction = 0.2
        var config = TrainingConfiguration(model: card, data: data)
        config.epochs = 2
        config.batchSize = 8
        config.seed = 7
        config.loss = LossConfiguration(name: "cross_entropy")
        config.optimizer = OptimizerConfiguration(name: .adamw, learningRate: 0.001)
        config.hooks.checkpointMonitor = "val_f1_macro"
        config.hooks.tensorboard = false
        let tiles = try TrainingTileLoader.load(images: images.path, labels: "", card: card, classCount: 2, classFolders: true)
        #expect(tiles.count == 30)
        let run = root.appendingPathComponent("train")
        let history = try Trainer(configuration: config, tiles: tiles, directory: run).train()
        #expect(history.count == 2 && history.allSatisfy { $0.trainLoss.isFinite && $0.validationF1Macro != nil })
        let checkpoint = run.appendingPathComponent("best.safetensors").path
        #expect(FileManager.default.fileExists(atPath: checkpoint))

        let eval = root.appendingPathComponent("eval")
        let scored = try GeoLensCLI.run(["eval", "--model", checkpoint, "--images", images.path, "--class-folders",
                                         "--write-predictions", "--out", eval.path])
        #expect(scored.status == 0, "\(scored.stderr)")
        let metrics = try Self.json(eval.appendingPathComponent("metrics.json"))
        #expect(metrics["task"] as? String == "classification" && metrics["tiles"] as? Int == 30)
        for key in ["overall_accuracy", "accuracy_macro", "precision_macro", "recall_macro", "f1_macro", "f1_micro",
                    "f1_weighted", "kappa", "auroc_macro", "average_precision_macro"] {
            let value = try #require(metrics[key] as? Double, "metrics.json lacks \(key)")
            #expect(value.isFinite, "\(key) = \(value)")
        }
        #expect(metrics["per_class"] != nil && metrics["confusion_matrix"] != nil && metrics["uncertainty"] != nil)
        let confusion = try #require(metrics["confusion_matrix"] as? [[Int]])
        #expect(confusion.flatMap { $0 }.reduce(0, +) == 30)
        let html = try String(contentsOf: eval.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("ROC curves") && html.contains("Confusion matrix"))
        let predictions = try Self.json(eval.appendingPathComponent("predictions.json"))
        let rows = try #require(predictions["tiles"] as? [[String: Any]])
        #expect(rows.count == 30)
        for row in rows {
            let probabilities = try #require(row["probabilities"] as? [String: Double])
            #expect(probabilities.values.allSatisfy(\.isFinite) && abs(probabilities.values.reduce(0, +) - 1) < 1e-5)
        }

        let explain = root.appendingPathComponent("explain")
        let explained = try GeoLensCLI.run(["explain", "--model", checkpoint, "--input", images.path, "--class-folders",
                                            "--method", "gradcam++", "--out", explain.path])
        #expect(explained.status == 0, "\(explained.stderr)")
        let document = try Self.json(explain.appendingPathComponent("attributions.json"))
        let records = try #require(document["records"] as? [[String: Any]])
        #expect(records.count == 30)
        for record in records {
            let map = try #require(record["map"] as? String)
            let raster = try Raster(path: explain.appendingPathComponent(map).path)
            #expect(raster.width == Self.chip && raster.height == Self.chip)
            let values = try raster.read().values.scalars
            #expect(values.allSatisfy { $0.isFinite && $0 >= 0 }, "\(map): \(values)")
            #expect(FileManager.default.fileExists(atPath: explain.appendingPathComponent((map as NSString).deletingPathExtension + ".png").path))
            #expect(record["tile_label"] != nil && record["tile_predicted"] != nil)
        }
        #expect(FileManager.default.fileExists(atPath: explain.appendingPathComponent("gallery.html").path))
    }
}
