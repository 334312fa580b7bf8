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
}
