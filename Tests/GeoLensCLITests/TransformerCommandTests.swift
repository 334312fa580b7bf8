import Foundation
import GeoLensTestSupport
import Testing

/// `geolens inspect`, `eval`, `predict` and `explain` end to end on transformer ONNX fixtures with
/// model cards beside them (`fixtures/onnx/<model>.onnx.json`: the fixture tiles' bands, scaling and
/// classes, 64 x 64 tiles).
@Suite("transformer checkpoints through the CLI")
struct TransformerCommandTests {
    static let vit = Fixtures.url("fixtures/onnx/vit_tiny_op17.onnx").path
    static let swin = Fixtures.url("fixtures/onnx/swin_tiny_op18.onnx").path
    static let segformer = Fixtures.url("fixtures/onnx/segformer_tiny_op20.onnx").path
    static let images = Fixtures.url("fixtures/tiles/images").path
    static let labels = Fixtures.url("fixtures/tiles/labels").path

    @Test("inspect names blocks, attention and norms with their module paths and token layouts")
    func inspectNamesLayers() throws {
        let result = try GeoLensCLI.run(["inspect", Self.vit])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        for expected in ["LayerNormalization", "(blocks.2.norm1)", "(blocks.2)", "tokens", "default --layer: /norm/"] {
            #expect(result.stdout.contains(expected), "missing '\(expected)' in:\n\(result.stdout)")
        }
        let swin = try GeoLensCLI.run(["inspect", Self.swin, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(swin.stdout.utf8)) as? [String: Any])
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(layers.contains { $0["layout"] as? String == "NHWC" && ($0["module"] as? String)?.hasPrefix("layers.1.blocks.1") == true })
    }

    @Test("eval, predict and explain run on a ViT, a Swin and a SegFormer", arguments: [vit, swin, segformer])
    func evalPredictExplain(model: String) throws {
        let out = try GeoLensCLI.temporaryDirectory("transformer-cli")
        defer { try? FileManager.default.removeItem(at: out) }
        let eval = try GeoLensCLI.run(["eval", "--model", model, "--images", Self.images, "--labels", Self.labels,
                                       "--out", out.appendingPathComponent("eval").path, "--threads", "2"])
        #expect(eval.status == 0, "stderr: \(eval.stderr)")
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("eval/metrics.json"))) as? [String: Any])
        #expect(metrics["tiles"] as? Int == 12)

        let predict = try GeoLensCLI.run(["predict", "--model", model, "--input", Fixtures.url("fixtures/scene/scene.tif").path,
                                          "--out", out.appendingPathComponent("predict").path])
        #expect(predict.status == 0, "stderr: \(predict.stderr)")
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("predict/scene_pred.tif").path))

        let explain = try GeoLensCLI.run(["explain", "--model", model, "--input", Self.images + "/tile_r1_c1.tif",
                                          "--out", out.appendingPathComponent("explain").path, "--method", "gradcam++", "--class", "cloud"])
        #expect(explain.status == 0, "stderr: \(explain.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("explain/attributions.json"))) as? [String: Any])
        let records = try #require(document["records"] as? [[String: Any]])
        #expect(records.count == 1)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("explain/tile_r1_c1_gradcam++_cloud.tif").path))
    }

    @Test("explain takes a module path as --layer")
    func explainByModulePath() throws {
        let out = try GeoLensCLI.temporaryDirectory("transformer-layer")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.vit, "--input", Self.images + "/tile_r0_c0.tif", "--out", out.path,
                                         "--method", "gradcam", "--class", "cloud", "--layer", "blocks.1.norm2"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("attributions.json"))) as? [String: Any])
        let record = try #require((document["records"] as? [[String: Any]])?.first)
        #expect(record["layer"] as? String == "/blocks/blocks.1/norm2/LayerNormalization_output_0")
    }
}
