import Foundation
import GeoLensTestSupport
import Testing

/// The explain gallery of a tile classifier: with labels, tiles come in the order of the eval
/// report's tile table (confident mistakes first; most wrong labels first for multi-label), and
/// every card names the predicted and the reference classes.
@Suite(.serialized) struct ClassificationGalleryTests {
    static let fixtures = Fixtures.url("fixtures/classification")

    /// The tile stems of the report's tile table, in order.
    static func reportOrder(_ html: String) throws -> [String] {
        let start = try #require(html.range(of: "id=\"tiles\""))
        let table = html[start.upperBound...]
        let rows = table.components(separatedBy: "<tr><td class=\"name\">").dropFirst()
        return rows.map { row in
            let id = String(row[..<row.range(of: "</td>")!.lowerBound])
            return ((id as NSString).lastPathComponent as NSString).deletingPathExtension
        }
    }

    /// The figure captions of a gallery, in order.
    static func captions(_ html: String) -> [String] {
        html.components(separatedBy: "<figcaption>").dropFirst().map { String($0[..<$0.range(of: "</figcaption>")!.lowerBound]) }
    }

    @Test(arguments: ["tile_classifier", "tile_classifier_multilabel"])
    func galleryFollowsReportOrder(model: String) throws {
        let root = try GeoLensCLI.temporaryDirectory("tile-gallery")
        defer { try? FileManager.default.removeItem(at: root) }
        let multilabel = model.hasSuffix("multilabel")
        let checkpoint = Self.fixtures.appendingPathComponent("\(model).onnx").path
        let images = Self.fixtures.appendingPathComponent("images").path + "/*/*.tif"
        let labels = Self.fixtures.appendingPathComponent(multilabel ? "labels_multilabel.csv" : "labels.csv").path
        let eval = root.appendingPathComponent("eval"), explain = root.appendingPathComponent("explain")
        let scored = try GeoLensCLI.run(["eval", "--model", checkpoint, "--images", images, "--labels", labels,
                                         "--allow-unlabelled", "--out", eval.path])
        #expect(scored.status == 0, "\(scored.stderr)")
        // One record per tile (its top class) so the gallery has one card per tile.
        let explained = try GeoLensCLI.run(["explain", "--model", checkpoint, "--input", images, "--labels", labels,
                                            "--allow-unlabelled", "--method", "gradcam++", "--class", "water",
                                            "--out", explain.path])
        #expect(explained.status == 0, "\(explained.stderr)")

        let reportOrder = try Self.reportOrder(try String(contentsOf: eval.appendingPathComponent("report.html"), encoding: .utf8))
        #expect(reportOrder.count == 15)
        let captions = Self.captions(try String(contentsOf: explain.appendingPathComponent("gallery.html"), encoding: .utf8))
        #expect(captions.count == 15)
        let galleryOrder = captions.map { String($0[..<$0.range(of: " · ")!.lowerBound]) }
        #expect(galleryOrder == reportOrder)
        #expect(galleryOrder != galleryOrder.sorted(), "the fixture's mistakes put the order away from file order")

        // Each card names the prediction and the label; per_tile.csv says which tiles are wrong.
        let perTile = try String(contentsOf: eval.appendingPathComponent("per_tile.csv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        for row in perTile {
            let stem = ((row[0] as NSString).lastPathComponent as NSString).deletingPathExtension
            let caption = try #require(captions.first { $0.hasPrefix(stem + " · ") })
            #expect(caption.contains("predicted "), "\(caption)")
            let correct = row[multilabel ? 3 : 4]
            if correct.isEmpty {
                #expect(!caption.contains(" · label ") && !caption.contains("WRONG"), "unlabelled \(stem): \(caption)")
                continue
            }
            #expect(caption.contains(" · label "), "\(caption)")
            #expect(caption.contains("WRONG") == (correct == "0"), "\(stem): \(caption) vs \(row)")
        }
        #expect(perTile.contains { $0[multilabel ? 3 : 4] == "0" }, "the fixture model makes mistakes")

        // attributions.json carries the outcome; without labels the gallery keeps file order.
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: explain.appendingPathComponent("attributions.json"))) as? [String: Any])
        let records = try #require(document["records"] as? [[String: Any]])
        #expect(records.allSatisfy { $0["tile_task"] as? String == (multilabel ? "multilabel" : "classification") && $0["tile_predicted"] != nil
                && ($0["tile_confidence"] as? Double).map { $0 > 0 && $0 <= 1 } == true })
        let plain = root.appendingPathComponent("plain")
        #expect(try GeoLensCLI.run(["explain", "--model", checkpoint, "--input", images, "--method", "gradcam++", "--class", "water",
                                    "--out", plain.path]).status == 0)
        let plainCaptions = Self.captions(try String(contentsOf: plain.appendingPathComponent("gallery.html"), encoding: .utf8))
        #expect(plainCaptions.count == 15 && plainCaptions.allSatisfy { !$0.contains(" · label ") })
    }
}
