import Foundation
import GeoLensTestSupport
import Testing

/// `geolens eval` and `merge` on the tile-classification fixture (`fixtures/classification`, made
/// by `scripts/fixtures/make_classification_fixture.py`): a tiny ONNX classifier with [N, 3]
/// logits, chips in class folders, label tables. Probabilities and metrics are compared with a
/// float64 NumPy forward pass and torchmetrics 1.9 on its probabilities (`expected.json`).
@Suite("eval and merge of tile classifiers", .serialized)
struct ClassificationCommandTests {
    static let directory = Fixtures.url("fixtures/classification")
    static let classifier = directory.appendingPathComponent("tile_classifier.onnx").path
    static let multilabel = directory.appendingPathComponent("tile_classifier_multilabel.onnx").path
    static let images = directory.appendingPathComponent("images").path
    static let imageGlob = directory.appendingPathComponent("images").path + "/*/*.tif"

    struct Expected: Decodable {
        struct Task: Decodable { let probabilities: [[Double]]; let metrics: [String: JSONNumber] }
        let tiles: [String]
        let classification: Task
        let multilabel: Task
    }

    /// A metric value: a number or an object of numbers (`top_k_accuracy`).
    enum JSONNumber: Decodable {
        case value(Double), table([String: Double])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let v = try? c.decode(Double.self) { self = .value(v) } else { self = .table(try c.decode([String: Double].self)) }
        }
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// Compares metrics.json with torchmetrics' values (float32 forward here, float64 there: 1e-5).
    func expectMetrics(_ metrics: [String: Any], _ expected: [String: JSONNumber]) {
        for (key, value) in expected {
            switch value {
            case .value(let e):
                let got = (metrics[key] as? NSNumber)?.doubleValue
                #expect(got.map { abs($0 - e) <= 1e-5 } == true, "\(key): got \(String(describing: got)), torchmetrics \(e)")
            case .table(let table):
                let got = metrics[key] as? [String: NSNumber]
                for (k, e) in table {
                    #expect(got?[k].map { abs($0.doubleValue - e) <= 1e-5 } == true, "\(key)[\(k)]: got \(String(describing: got?[k]))")
                }
            }
        }
    }

    /// per_tile.csv rows by tile: the probability columns.
    func probabilities(_ out: URL, columns: Int) throws -> [String: [Double]] {
        let lines = try String(contentsOf: out.appendingPathComponent("per_tile.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst()
        var rows: [String: [Double]] = [:]
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            rows[fields[0]] = fields.suffix(columns).map { Double($0)! }
        }
        return rows
    }

    @Test("Class folders: outputs, probabilities and metrics agree with NumPy and torchmetrics")
    func classFolders() throws {
        let out = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["eval", "--model", Self.classifier, "--images", Self.images, "--class-folders",
                                         "--out", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("eval: classification, 15 tiles (0 unlabelled); overall accuracy 0.7333"))
        for file in ["metrics.json", "per_tile.csv", "confusion.csv", "state.json", "run.json", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        let expected = try Self.expected()
        let metrics = try Self.json(out.appendingPathComponent("metrics.json"))
        #expect(metrics["task"] as? String == "classification")
        expectMetrics(metrics, expected.classification.metrics)
        #expect(metrics["confusion_matrix"] as? [[Int]] == [[2, 3, 0], [0, 5, 0], [0, 1, 4]])
        let rows = try probabilities(out, columns: 3)
        for (tile, reference) in zip(expected.tiles, expected.classification.probabilities) {
            let got = try #require(rows[tile], "per_tile.csv row of \(tile)")
            #expect(zip(got, reference).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(tile): \(got) vs \(reference)")
        }
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("ROC curves") && html.contains("Precision-recall curves"))
        #expect(html.components(separatedBy: "<polyline").count - 1 == 6, "3 ROC and 3 PR curves")
        #expect(htmlImageSources(html) != nil, "report.html is well-formed XHTML")
        #expect(html.contains("95% CI ["))
    }

    @Test("A label table gives the same metrics as class folders; shards merge byte-identically")
    func labelTableAndMerge() throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let table = Self.directory.appendingPathComponent("labels.csv").path
        let common = ["eval", "--model", Self.classifier, "--images", Self.imageGlob, "--labels", table]
        let whole = root.appendingPathComponent("whole")
        #expect(try GeoLensCLI.run(common + ["--out", whole.path]).status == 0)
        let folders = root.appendingPathComponent("folders")
        #expect(try GeoLensCLI.run(["eval", "--model", Self.classifier, "--images", Self.images, "--class-folders",
                                    "--out", folders.path]).status == 0)
        let metrics = try Data(contentsOf: whole.appendingPathComponent("metrics.json"))
        #expect(metrics == (try Data(contentsOf: folders.appendingPathComponent("metrics.json"))))

        var shards: [String] = []
        for i in 0..<3 {
            let shard = root.appendingPathComponent("shard-\(i)")
            let result = try GeoLensCLI.run(common + ["--shard", "\(i)/3", "--out", shard.path])
            #expect(result.status == 0, "\(result.stderr)")
            shards.append(shard.path)
        }
        let merged = root.appendingPathComponent("merged")
        let result = try GeoLensCLI.run(["merge"] + shards + ["--out", merged.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("merge: 3 shards, 15 tiles, overall accuracy 0.7333"))
        #expect(try Data(contentsOf: merged.appendingPathComponent("metrics.json")) == metrics)
        #expect(FileManager.default.fileExists(atPath: merged.appendingPathComponent("report.html").path))
    }

    @Test("Multi-label: per-class thresholds, an unlabelled tile, metrics agree with torchmetrics")
    func multilabelRun() throws {
        let out = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let table = Self.directory.appendingPathComponent("labels_multilabel.csv").path
        let args = ["eval", "--model", Self.multilabel, "--images", Self.imageGlob, "--labels", table, "--out", out.path]
        let refused = try GeoLensCLI.run(args)
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix("error: \(table) has no row for tile ") && refused.stderr.contains("chip_08.tif"),
                "\(refused.stderr)")
        let result = try GeoLensCLI.run(args + ["--allow-unlabelled"])
        #expect(result.status == 0, "\(result.stderr)")
        let metrics = try Self.json(out.appendingPathComponent("metrics.json"))
        #expect(metrics["task"] as? String == "multilabel")
        #expect(metrics["unlabelled_tiles"] as? Int == 1 && metrics["labelled_tiles"] as? Int == 14)
        #expect(metrics["thresholds"] as? [Double] == [0.5, 0.5, 0.4])
        let expected = try Self.expected()
        expectMetrics(metrics, expected.multilabel.metrics)
        let rows = try probabilities(out, columns: 3)
        for (tile, reference) in zip(expected.tiles, expected.multilabel.probabilities) {
            let got = try #require(rows[tile])
            #expect(zip(got, reference).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(tile): \(got) vs \(reference)")
        }
        let confusion = try String(contentsOf: out.appendingPathComponent("confusion.csv"), encoding: .utf8)
        #expect(confusion.hasPrefix("class,tn,fp,fn,tp\nwater,"))
    }

    @Test("Bad label inputs: one error line naming the file (and line)", arguments: [
        ("tile,label\nchip_00,water\nchip_01,lake\n", "line 3: 'lake' is neither a class of the model card"),
        ("tile,labels\nchip_00,water\n", "has a 'labels' column but the model card's task is 'classification'"),
        ("tile,label\nchip_00,water\nchip_00.tif,cloud\n", "line 3: tile 'chip_00.tif' is labelled again"),
        ("name,label\nchip_00,water\n", "line 1: the header"),
        ("tile,label\nchip_00,\n", "line 2: tile 'chip_00' has an empty label"),
    ])
    func badTables(_ table: String, _ message: String) throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let csv = root.appendingPathComponent("labels.csv")
        try table.write(to: csv, atomically: true, encoding: .utf8)
        let result = try GeoLensCLI.run(["eval", "--model", Self.classifier, "--images", Self.imageGlob, "--labels", csv.path,
                                         "--allow-unlabelled", "--out", root.appendingPathComponent("out").path])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(lines.count == 1 && lines[0].contains(csv.path) && lines[0].contains(message), "\(result.stderr)")
    }

    @Test("A classifier with a segmentation card, or a segmentation model with a label table, is refused")
    func taskMismatch() throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let card = root.appendingPathComponent("card.json")
        try #"{"architecture": "onnx", "classes": ["water", "vegetation", "cloud"]}"#.write(to: card, atomically: true, encoding: .utf8)
        let result = try GeoLensCLI.run(["eval", "--model", Self.classifier, "--model-card", card.path, "--images", Self.images,
                                         "--class-folders", "--out", root.appendingPathComponent("a").path])
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("error: \(card.path): tile_classifier.onnx outputs N x classes scores"), "\(result.stderr)")
        #expect(result.stderr.contains("\"task\": \"classification\""))

        let segmentation = try GeoLensCLI.run(["eval", "--model", Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path,
                                               "--images", Fixtures.url("fixtures/tiles/images").path,
                                               "--labels", Self.directory.appendingPathComponent("labels.csv").path,
                                               "--out", root.appendingPathComponent("b").path])
        #expect(segmentation.status == 64)
        #expect(segmentation.stderr.contains("labels whole tiles, but the model card's task is 'segmentation'"), "\(segmentation.stderr)")

        let predict = try GeoLensCLI.run(["predict", "--model", Self.classifier, "--input", Self.imageGlob, "--probabilities",
                                          "--out", root.appendingPathComponent("c").path])
        #expect(predict.status == 64)
        #expect(predict.stderr.contains("--probabilities writes probability rasters of segmentation models"), "\(predict.stderr)")
    }

    @Test("explain: GradCAM++ of the predicted class, SHAP of the reference classes, bad targets refused")
    func explainClassifiers() throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        struct Document: Decodable {
            struct Record: Decodable { let tile: String; let `class`: String; let layer: String?; let map: String?; let values: [Double]? }
            let records: [Record]
        }
        let cam = root.appendingPathComponent("cam")
        let result = try GeoLensCLI.run(["explain", "--model", Self.classifier, "--input", Self.images, "--class-folders",
                                         "--method", "gradcam++", "--out", cam.path])
        #expect(result.status == 0, "\(result.stderr)")
        let document = try JSONDecoder().decode(Document.self, from: Data(contentsOf: cam.appendingPathComponent("attributions.json")))
        #expect(document.records.count == 15, "one record per tile: its predicted class")
        let expected = try Self.expected()
        for record in document.records {
            let index = try #require(expected.tiles.firstIndex { record.tile.hasSuffix($0) })
            let probabilities = expected.classification.probabilities[index]
            let top = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
            #expect(record.class == ["water", "vegetation", "cloud"][top], "\(record.tile)")
            #expect(record.layer == "features_relu")
            let map = try #require(record.map)
            #expect(FileManager.default.fileExists(atPath: cam.appendingPathComponent(map).path))
        }

        let shap = root.appendingPathComponent("shap")
        let table = Self.directory.appendingPathComponent("labels_multilabel.csv").path
        let labelled = try GeoLensCLI.run(["explain", "--model", Self.multilabel, "--input", Self.imageGlob, "--labels", table,
                                           "--allow-unlabelled", "--target", "label", "--method", "shap-exact",
                                           "--groups", "vis=1,2,3;nir=4", "--out", shap.path])
        #expect(labelled.status == 0, "\(labelled.stderr)")
        let values = try JSONDecoder().decode(Document.self, from: Data(contentsOf: shap.appendingPathComponent("attributions.json")))
        // 14 labelled tiles with 1 or 2 classes each (chip_14's set is empty, chip_08 has no row).
        #expect(values.records.count == 20)
        #expect(values.records.allSatisfy { $0.values?.count == 2 })

        let refused = try GeoLensCLI.run(["explain", "--model", Self.classifier, "--input", Self.images, "--class-folders",
                                          "--method", "gradcam", "--target", "tp", "--out", root.appendingPathComponent("tp").path])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("tile classifiers explain a class score: --target predicted (default) or label"))
    }

    @Test("An interrupted run resumes from its journal to the same metrics; changed labels are refused")
    func resume() throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let table = root.appendingPathComponent("labels.csv")
        try FileManager.default.copyItem(at: Self.directory.appendingPathComponent("labels.csv"), to: table)
        let out = root.appendingPathComponent("out")
        let args = ["eval", "--model", Self.classifier, "--images", Self.imageGlob, "--labels", table.path, "--batch", "2",
                    "--out", out.path]
        #expect(try GeoLensCLI.run(args).status == 0)
        let metrics = try Data(contentsOf: out.appendingPathComponent("metrics.json"))
        // Cut the journal after 5 tiles (and half a line), as a kill would, and drop the outputs.
        let journal = out.appendingPathComponent("journal.jsonl")
        let lines = try String(contentsOf: journal, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 16)
        try (lines.prefix(6).joined(separator: "\n") + "\n" + lines[6].prefix(20)).write(to: journal, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(at: out.appendingPathComponent("metrics.json"))
        let resumed = try GeoLensCLI.run(args)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming \(out.path): 5 of 15 tiles already scored"), "\(resumed.stderr)")
        #expect(try Data(contentsOf: out.appendingPathComponent("metrics.json")) == metrics)

        try (try String(contentsOf: table, encoding: .utf8).replacingOccurrences(of: "chip_05,vegetation", with: "chip_05,cloud"))
            .write(to: table, atomically: true, encoding: .utf8)
        let changed = try GeoLensCLI.run(args)
        #expect(changed.status == 64)
        #expect(changed.stderr.contains("holds an evaluation run with different arguments"), "\(changed.stderr)")
    }

    @Test("A classifier exported at a fixed input size refuses other tile sizes with one error line")
    func fixedInputSize() throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // torchvision's ConvNeXt exported at 64 x 64 (no dynamic spatial axes); the chips are 16 x 16.
        let model = root.appendingPathComponent("convnext.onnx")
        try FileManager.default.copyItem(at: Self.directory.appendingPathComponent("tile_convnext_tiny.onnx"), to: model)
        try #"{"architecture": "onnx", "task": "classification", "classes": ["water", "vegetation", "cloud", "d", "e"], "bands": [3, 2, 1]}"#
            .write(to: root.appendingPathComponent("convnext.onnx.json"), atomically: true, encoding: .utf8)
        for command in [["eval", "--class-folders", "--images", Self.images],
                        ["explain", "--method", "gradcam", "--input", Self.images + "/water/chip_00.tif"]] {
            let result = try GeoLensCLI.run(command + ["--model", model.path, "--out", root.appendingPathComponent("out").path])
            #expect(result.status == 1)
            let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
            #expect(lines.count == 1 && lines[0].contains("convnext.onnx takes 64 x 64 pixel inputs but this input is 16 x 16"),
                    "\(command[0]): \(result.stderr)")
        }
    }

    @Test("Segmentation-only keys and mixed merges are one-line errors")
    func segmentationOnlyKeysAndMixedMerges() throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let classification = root.appendingPathComponent("classification")
        let base = ["eval", "--model", Self.classifier, "--images", Self.images, "--class-folders", "--out", classification.path]
        let remapped = try GeoLensCLI.run(base + ["--set", "ignore_index=255"])
        #expect(remapped.status == 64 && remapped.stderr.contains("key 'ignore_index' excludes label-raster pixels"), "\(remapped.stderr)")
        #expect(try GeoLensCLI.run(base).status == 0)

        let segmentation = root.appendingPathComponent("segmentation")
        let seg = try GeoLensCLI.run(["eval", "--model", Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path,
                                      "--images", Fixtures.url("fixtures/tiles/images").path,
                                      "--labels", Fixtures.url("fixtures/tiles/labels").path, "--shard", "0/4",
                                      "--out", segmentation.path])
        #expect(seg.status == 0, "\(seg.stderr)")
        let out = root.appendingPathComponent("merged").path
        let first = try GeoLensCLI.run(["merge", segmentation.path, classification.path, "--out", out])
        #expect(first.status == 1 && first.stderr.contains("holds a classification run"), "\(first.stderr)")
        let second = try GeoLensCLI.run(["merge", classification.path, segmentation.path, "--out", out])
        #expect(second.status == 1 && second.stderr.contains("is a segmentation state"), "\(second.stderr)")
    }

    @Test("compare: two classifier runs give comparison.html and comparison.json; a segmentation run is refused")
    func compareRuns() throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // Run B: the same graph fed with another input scale, so some predictions change.
        let model = root.appendingPathComponent("scaled.onnx")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: Self.classifier), to: model)
        let card = try String(contentsOf: URL(fileURLWithPath: Self.classifier + ".json"), encoding: .utf8)
        try card.replacingOccurrences(of: "0.0001", with: "0.00007").write(to: URL(fileURLWithPath: model.path + ".json"),
                                                                          atomically: true, encoding: .utf8)
        let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b")
        for (checkpoint, out) in [(Self.classifier, a), (model.path, b)] {
            let result = try GeoLensCLI.run(["eval", "--model", checkpoint, "--images", Self.images, "--class-folders", "--out", out.path])
            #expect(result.status == 0, "\(result.stderr)")
        }
        let out = root.appendingPathComponent("compare")
        let result = try GeoLensCLI.run(["compare", a.path, b.path, "--out", out.path, "--resamples", "200"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("comparison.json"))) as! [String: Any]
        #expect(json["task"] as? String == "classification" && json["tiles"] as? Int == 15)
        let pair = try #require((json["pairs"] as? [[String: Any]])?.first)
        #expect((pair["disagreements"] as? [Any])?.count == 6)
        let html = try String(contentsOf: out.appendingPathComponent("comparison.html"), encoding: .utf8)
        #expect(htmlImageSources(html) != nil && html.contains("b against a"))

        let segmentation = try GeoLensCLI.run(["compare", a.path, Fixtures.url("fixtures/tiles").path, "--out", out.path])
        #expect(segmentation.status == 64 && segmentation.stderr.contains("holds no state.json"), "\(segmentation.stderr)")
    }
}
