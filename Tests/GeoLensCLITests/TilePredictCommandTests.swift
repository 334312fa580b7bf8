import Foundation
import GeoLensTestSupport
import Testing

/// `geolens predict` with a tile classifier: predictions.csv and predictions.json per tile, with
/// the probabilities `eval` gives for the same tiles.
@Suite(.serialized) struct TilePredictCommandTests {
    static let fixtures = Fixtures.url("fixtures/classification")

    static func rows(_ csv: URL) throws -> [String: [String]] {
        let lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n").dropFirst()
        return Dictionary(uniqueKeysWithValues: lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return (fields[0], fields)
        })
    }

    @Test(arguments: ["tile_classifier", "tile_classifier_multilabel"])
    func predictionsMatchEval(model: String) throws {
        let root = try GeoLensCLI.temporaryDirectory("tile-predict")
        defer { try? FileManager.default.removeItem(at: root) }
        let checkpoint = Self.fixtures.appendingPathComponent("\(model).onnx").path
        let images = Self.fixtures.appendingPathComponent("images").path + "/*/*.tif"
        let out = root.appendingPathComponent("predict")
        let result = try GeoLensCLI.run(["predict", "--model", checkpoint, "--input", images, "--out", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("15 tiles"), "\(result.stdout)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("predictions.json"))) as? [String: Any])
        let tiles = try #require(document["tiles"] as? [[String: Any]])
        #expect(tiles.count == 15 && document["failed_tiles"] == nil)
        #expect((document["task"] as? String) == (model.hasSuffix("multilabel") ? "multilabel" : "classification"))

        let eval = root.appendingPathComponent("eval")
        let labels = Self.fixtures.appendingPathComponent(model.hasSuffix("multilabel") ? "labels_multilabel.csv" : "labels.csv").path
        let scored = try GeoLensCLI.run(["eval", "--model", checkpoint, "--images", images, "--labels", labels, "--allow-unlabelled",
                                         "--out", eval.path])
        #expect(scored.status == 0, "\(scored.stderr)")
        let predicted = try Self.rows(out.appendingPathComponent("predictions.csv"))
        let reference = try Self.rows(eval.appendingPathComponent("per_tile.csv"))
        #expect(predicted.count == 15 && Set(predicted.keys) == Set(reference.keys))
        let skip = model.hasSuffix("multilabel") ? 4 : 5
        for (tile, row) in reference {
            let ours = try #require(predicted[tile])
            #expect(ours[2] == row[2], "\(tile): predicted")
            #expect(Array(ours.dropFirst(skip)) == Array(row.dropFirst(skip)), "\(tile): probabilities")
            #expect(ours[1].isEmpty)
        }
        for entry in tiles {
            let id = try #require(entry["tile"] as? String)
            let probabilities = try #require(entry["probabilities"] as? [String: Double])
            #expect(probabilities.count == 3, "\(id)")
        }
    }

    @Test("eval --write-predictions writes predict's files into the run and lists them in run.json",
          arguments: ["tile_classifier", "tile_classifier_multilabel"])
    func evalWritesPredictions(model: String) throws {
        let root = try GeoLensCLI.temporaryDirectory("tile-eval-predictions")
        defer { try? FileManager.default.removeItem(at: root) }
        let checkpoint = Self.fixtures.appendingPathComponent("\(model).onnx").path
        let images = Self.fixtures.appendingPathComponent("images").path + "/*/*.tif"
        let labels = Self.fixtures.appendingPathComponent(model.hasSuffix("multilabel") ? "labels_multilabel.csv" : "labels.csv").path
        let predict = root.appendingPathComponent("predict"), eval = root.appendingPathComponent("eval")
        let predicted = try GeoLensCLI.run(["predict", "--model", checkpoint, "--input", images, "--out", predict.path])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        let scored = try GeoLensCLI.run(["eval", "--model", checkpoint, "--images", images, "--labels", labels, "--allow-unlabelled",
                                         "--write-predictions", "--out", eval.path])
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.stdout.contains("predictions.csv, predictions.json"), "\(scored.stdout)")
        for name in ["predictions.csv", "predictions.json"] {
            let ours = try Data(contentsOf: eval.appendingPathComponent(name))
            #expect(ours == (try Data(contentsOf: predict.appendingPathComponent(name))), "\(name) differs from predict's")
        }
        // The labels stay in per_tile.csv; the predicted column and probabilities agree with it.
        let perTile = try Self.rows(eval.appendingPathComponent("per_tile.csv"))
        let rows = try Self.rows(eval.appendingPathComponent("predictions.csv"))
        #expect(rows.count == 15 && perTile.values.contains { !$0[1].isEmpty })
        for (tile, row) in rows {
            #expect(row[1].isEmpty && row[2] == perTile[tile]?[2], "\(tile)")
        }
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: eval.appendingPathComponent("run.json"))) as? [String: Any])
        #expect((manifest["predictions"] as? [String]) == ["predictions.csv", "predictions.json"])

        // Without the flag nothing is written or listed; probability rasters are refused with one line.
        let plain = root.appendingPathComponent("plain")
        #expect(try GeoLensCLI.run(["eval", "--model", checkpoint, "--images", images, "--labels", labels, "--allow-unlabelled",
                                    "--out", plain.path]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: plain.appendingPathComponent("predictions.json").path))
        let plainManifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: plain.appendingPathComponent("run.json"))) as? [String: Any])
        #expect(plainManifest["predictions"] == nil)
        let refused = try GeoLensCLI.run(["eval", "--model", checkpoint, "--images", images, "--labels", labels, "--allow-unlabelled",
                                          "--probabilities", "--out", root.appendingPathComponent("refused").path])
        #expect(refused.status == 64 && refused.stderr.hasPrefix("error: ") && refused.stderr.contains("write_probabilities"),
                "\(refused.stderr)")
    }
}
