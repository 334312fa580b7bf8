import Foundation
import Testing
import GeoLensTensor
import GeoLensTestSupport
@testable import GeoLensNN

/// The transformer exports of scripts/onnx/export_transformers.py (smp SegFormer, a timm ViT and
/// a timm Swin with convolutional heads, opsets 17, 18 and 20) against onnxruntime and PyTorch.
@Suite("ONNX transformers")
struct ONNXTransformerTests {
    struct Fixture: Decodable {
        let model: String
        let opset: Int
        let bands: Int
        let classes: Int
        let inputName: String
        let outputName: String
        let input: ReferenceTensor
        let output: ReferenceTensor
        let operators: [String]
        /// onnxruntime's shape of every tensor for the fixture input, and for a 2 x 6 x 96 x 64
        /// input when the graph takes any height and width.
        let tensorShapes: [String: [Int]]
        let tensorShapesTall: [String: [Int]]?

        static let names = ["segformer_tiny", "vit_tiny", "swin_tiny"].flatMap { name in [17, 18, 20].map { "\(name)_op\($0)" } }

        static func load(_ name: String) throws -> Fixture {
            try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: ONNXFixtures.url("\(name).json")))
        }
    }

    @Test("logits match onnxruntime within 1e-4", arguments: Fixture.names)
    func logitsMatchOnnxruntime(name: String) throws {
        let fixture = try Fixture.load(name)
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        #expect(model.inChannels == fixture.bands)
        #expect(model.classCount == fixture.classes)
        let logits = model(fixture.input.tensor)
        let worst = referenceError(logits, fixture.output)?.worst ?? .infinity
        #expect(worst <= 1e-4, "\(name): worst difference \(worst)")
        if fixture.opset >= 20 { #expect(fixture.operators.contains("Gelu")) } else { #expect(fixture.operators.contains("Erf")) }
        #expect(fixture.operators.contains("LayerNormalization"))
    }

    @Test("every tensor's shape matches onnxruntime", arguments: Fixture.names)
    func shapesMatchOnnxruntime(name: String) throws {
        let fixture = try Fixture.load(name)
        let model = try ONNXModel.load(ONNXFixtures.url(fixture.model))
        var cases = [(fixture.input.shape, fixture.tensorShapes)]
        if let tall = fixture.tensorShapesTall { cases.append(([2, fixture.bands, 96, 64], tall)) }
        for (inputShape, expected) in cases {
            let plan = try model.plan(for: [fixture.inputName: inputShape])
            let mismatches = expected.compactMap { tensor, shape in
                plan.tensorShapes[tensor].map { $0 == shape ? nil : "\(tensor): \($0) vs onnxruntime \(shape)" } ?? nil
            }
            #expect(mismatches.isEmpty, "\(name) at \(inputShape): \(mismatches.prefix(5))")
            #expect(expected.keys.filter { plan.tensorShapes[$0] != nil }.count > expected.count / 2)
        }
    }

    @Test("a batch gives each image the logits it gets alone", arguments: ["segformer_tiny_op17", "vit_tiny_op18", "swin_tiny_op20"])
    func batches(name: String) throws {
        let fixture = try Fixture.load(name)
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        let single = fixture.input.tensor
        let batch = Tensor.concatenate([single * 0.5, single, single * -1], alongAxis: 0)
        for threads in [1, 2] {
            let logits = Parallel.withThreadCount(threads) { model(batch) }
            let second = logits.slice(alongAxis: 0, start: 1, end: 2)
            #expect((referenceError(second, fixture.output)?.worst ?? .infinity) <= 1e-4, "\(name), \(threads) threads")
        }
    }

    struct GradientRecord: Decodable {
        let model: String
        let tensor: String
        let targetClass: Int
        let input: ReferenceTensor
        let logits: ReferenceTensor
        let inputGradient: ReferenceTensor
        let tensorGradient: ReferenceTensor
    }

    @Test("ViT input and token gradients match PyTorch autograd")
    func vitGradients() throws {
        let record = try JSONDecoder().decode(GradientRecord.self, from: Data(contentsOf: ONNXFixtures.url("vit_tiny_op17_gradients.json")))
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(record.model)))
        let x = record.input.tensor.requiringGradient()
        let logits = model.forward(x, context: ForwardContext(mode: .evaluation))
        ONNXGradientTests.expectClose(logits, record.logits, "logits")
        let target = ONNXGradientTests.target(logits, record.targetClass)
        ONNXGradientTests.expectClose(gradients(of: target, wrt: [x])[0], record.inputGradient, "input gradient")

        #expect(model.camLayers.contains(record.tensor))
        #expect(model.featureLayout(ofLayer: record.tensor) == .tokens)
        let context = ForwardContext(mode: .evaluation, captures: [record.tensor: .leaf])
        let captured = model.forward(record.input.tensor, context: context)
        let tokens = try #require(context.captured[record.tensor])
        #expect(tokens.shape == record.tensorGradient.shape)
        let grads = gradients(of: ONNXGradientTests.target(captured, record.targetClass), wrt: [tokens])
        ONNXGradientTests.expectClose(grads[0], record.tensorGradient, "gradient at \(record.tensor)")
    }

    @Test("transformer layers carry module paths and token layouts; module paths resolve to tensors")
    func layers() throws {
        let vit = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url("vit_tiny_op17.onnx")))
        let norm1 = "/blocks/blocks.2/norm1/LayerNormalization_output_0"
        #expect(vit.resolvedLayer("blocks.2.norm1") == norm1)
        #expect(vit.resolvedLayer(norm1) == norm1)
        #expect(vit.featureLayout(ofLayer: vit.defaultCAMLayer) == .tokens)
        #expect(vit.defaultCAMLayer.hasPrefix("/norm/"))
        let swin = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url("swin_tiny_op17.onnx")))
        #expect(swin.featureLayout(ofLayer: swin.defaultCAMLayer) == .channelsLast)
        let segformer = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url("segformer_tiny_op17.onnx")))
        #expect(segformer.featureLayout(ofLayer: segformer.defaultCAMLayer) == .tokens)
        #expect(ONNXInspection.modulePath("/encoder/blocks/blocks.2/norm1/LayerNormalization") == "encoder.blocks.2.norm1")
        #expect(ONNXInspection.modulePath("/encoder/layers/layers.1/blocks/blocks.0/attn/MatMul") == "encoder.layers.1.blocks.0.attn")
        #expect(ONNXInspection.modulePath("conv0").isEmpty)
    }
}
