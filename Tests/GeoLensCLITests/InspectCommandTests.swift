import Foundation
import Testing
import GeoLensTestSupport

/// `geolens inspect` on an ONNX model, a safetensors checkpoint with its card, a raster, and a
/// missing file, run through the built binary.
@Suite("geolens inspect")
struct InspectCommandTests {
    static func path(_ relative: String) -> String { Fixtures.url(relative).path }

    @Test("an ONNX model: inputs, outputs, opset, operators, parameters and --layer candidates")
    func onnxText() throws {
        let result = try GeoLensCLI.run(["inspect", Self.path("fixtures/onnx/unet_resnet18_op13.onnx")])
        #expect(result.status == 0, "\(result.stderr)")
        for expected in ["inputs:", "image: float32 [batch, 4, height, width]", "outputs:", "logits", "ai.onnx v13",
                         "parameters:", "Conv 17", "usable as --layer", "default --layer:"] {
            #expect(result.stdout.contains(expected), "missing '\(expected)' in:\n\(result.stdout)")
        }
    }

    @Test("an ONNX model as JSON")
    func onnxJSON() throws {
        let result = try GeoLensCLI.run(["inspect", Self.path("fixtures/onnx/unet_resnet34_op17.onnx"), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["format"] as? String == "onnx")
        #expect((object["opsets"] as? [String: Int])?["ai.onnx"] == 17)
        #expect((object["operators"] as? [String: Int])?["Conv"] == 12)
        #expect((object["parameters"] as? Int ?? 0) > 1000)
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(layers.count > 5)
        let defaultLayer = try #require(object["defaultLayer"] as? String)
        #expect(layers.contains { $0["name"] as? String == defaultLayer })
    }

    @Test("a safetensors checkpoint with a card lists tensors and the GradCAM layers")
    func safetensors() throws {
        let text = try GeoLensCLI.run(["inspect", Self.path("fixtures/models/cloud_unet_a.safetensors")])
        #expect(text.status == 0, "\(text.stderr)")
        for expected in ["format: safetensors", "tensors:", "parameters:", "F32", "GradCAM layers"] {
            #expect(text.stdout.contains(expected), "missing '\(expected)' in:\n\(text.stdout)")
        }
        let json = try GeoLensCLI.run(["inspect", Self.path("fixtures/models/cloud_unet_a.safetensors"), "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let tensors = try #require(object["tensors"] as? [[String: Any]])
        #expect(tensors.count == object["tensorCount"] as? Int)
        #expect(!(object["camLayers"] as? [String] ?? []).isEmpty)
    }

    @Test("a raster still prints its facts")
    func raster() throws {
        let result = try GeoLensCLI.run(["inspect", Self.path("fixtures/tiles/images/tile_r0_c0.tif")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("64"))
    }

    @Test("a missing file fails with one error line", arguments: ["missing.onnx", "missing.safetensors", "missing.tif"])
    func missing(name: String) throws {
        let result = try GeoLensCLI.run(["inspect", "/nonexistent/\(name)"])
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains(name), "\(result.stderr)")
    }
}
