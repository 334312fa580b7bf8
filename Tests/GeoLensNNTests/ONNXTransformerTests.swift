import Foundation
import Testing
import GeoLensTensor
import GeoLensTestSupport
@testable import GeoLensNN

/// The transformer exports of scripts/onnx/export_transformers.py (smp SegFormer, a timm ViT and
/// a timm Swin with convolutional heads, opsets 17, 18 and 20, the ViT also 14) against onnxruntime and PyTorch.
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

        static let names = ["vit_tiny_op14"] + ["segformer_tiny", "vit_tiny", "swin_tiny"].flatMap { name in [17, 18, 20].map { "\(name)_op\($0)" } }

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
        // Before opset 17 layer norms are ReduceMean-Sub-Pow-ReduceMean-Add-Sqrt-Div chains.
        let norms = fixture.opset >= 17 ? ["LayerNormalization"] : ["ReduceMean", "Pow", "Sqrt"]
        #expect(norms.allSatisfy(fixture.operators.contains))
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

    @Test("a batch gives each image the bits it gets alone, with one or two threads", arguments: ["segformer_tiny_op17", "vit_tiny_op18", "swin_tiny_op20"])
    func batches(name: String) throws {
        let fixture = try Fixture.load(name)
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        let single = fixture.input.tensor
        let batch = Tensor.concatenate([single * 0.5, single, single * -1], alongAxis: 0)
        let alone = model(single)
        #expect((referenceError(alone, fixture.output)?.worst ?? .infinity) <= 1e-4, "\(name)")
        for threads in [1, 2] {
            let logits = Parallel.withThreadCount(threads) { model(batch) }
            // Work splits follow each image's geometry, so its logits are the same bits in any batch.
            #expect(logits.slice(alongAxis: 0, start: 1, end: 2).scalars == alone.scalars, "\(name), \(threads) threads")
        }
    }

    @Test("GELUs written as five steps and MatMul + bias pairs run as one step; capturing inside runs the steps, same logits")
    func geluFusion() throws {
        let fixture = try Fixture.load("vit_tiny_op17")
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        let prepared = try model.executor.preparedPlan(for: [fixture.inputName: fixture.input.shape])
        #expect(prepared.gelus.count == 3)
        let erf = try #require(prepared.gelus.values.first?.hiddenTensors[1])
        let context = ForwardContext(mode: .evaluation, captures: [erf: .record])
        let logits = GradientMode.withoutRecording { model.forward(fixture.input.tensor, context: context) }
        #expect((referenceError(logits, fixture.output)?.worst ?? .infinity) <= 1e-4)
        #expect(context.captured[erf] != nil)
        // Linear layers: qkv, proj, fc1, fc2 of three blocks run as products that start from their bias.
        #expect(prepared.linears.count == 12)
        let product = try #require(prepared.linears.values.first?.matMul.outputs[0])
        let linearContext = ForwardContext(mode: .evaluation, captures: [product: .record])
        let unfused = GradientMode.withoutRecording { model.forward(fixture.input.tensor, context: linearContext) }
        #expect((referenceError(unfused, fixture.output)?.worst ?? .infinity) <= 1e-4)
        #expect(linearContext.captured[product] != nil)
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

    @Test("every tensor of the transformer operator zoo matches onnxruntime", arguments: [13, 17, 18, 20])
    func operatorZoo(opset: Int) throws {
        let name = "transformer_op_zoo_op\(opset)"
        let record = try JSONDecoder().decode(ONNXExecutionTests.OpZooRecord.self, from: Data(contentsOf: ONNXFixtures.url("\(name).json")))
        let model = try ONNXModel.load(ONNXFixtures.url("\(name).onnx"))
        let executor = ONNXExecutor(model: model)
        let context = ForwardContext(mode: .evaluation, captures: record.tensorValues.mapValues { _ in .record })
        _ = try GradientMode.withoutRecording { try executor.run(["x": record.input.tensor], context: context) }
        var checked = 0
        for (tensor, expected) in record.tensorValues.sorted(by: { $0.key < $1.key }) {
            guard let actual = context.captured[tensor] else { continue }
            let scale = max(1, expected.data.map(abs).max() ?? 0)
            let worst = referenceError(actual, expected)?.worst ?? .infinity
            #expect(worst <= 1e-4 * scale, "\(name) tensor '\(tensor)': worst difference \(worst) (shape \(actual.shape), expected \(expected.shape))")
            checked += 1
        }
        let plan = try model.plan(for: ["x": record.input.shape])
        let computed = Set(plan.steps.flatMap(\.outputs)).intersection(record.tensorValues.keys)
        #expect(checked >= computed.count && checked > 30, "checked \(checked) of \(computed.count) computed tensors")
        let other = try executor.run(["x": Tensor(zeros: record.otherInputShape)])
        for (output, info) in zip(other, model.graph.outputs) {
            #expect(output.shape == record.tensorShapesOther[info.name], "\(info.name) at \(record.otherInputShape)")
        }
    }

    @Test("gradients through the zoo's differentiable operators match finite differences")
    func operatorZooGradients() throws {
        let model = try ONNXModel.load(ONNXFixtures.url("transformer_op_zoo_op20.onnx"))
        let executor = ONNXExecutor(model: model)
        let differentiable = ["layernorm_last", "layernorm_two_axes", "gelu", "gelu_tanh", "einsum_context", "matmul_broadcast",
                              "matmul_broadcast_rank2", "softmax_axis1", "einsum_reduce", "tile", "trilu_lower", "cumsum_exclusive_reverse",
                              "gather_elements", "scatter_nd", "scatter_nd_add", "reduce_sum", "reduce_max", "reciprocal", "log"]
        let indices = differentiable.map { name in model.graph.outputs.firstIndex { $0.name == name }! }
        var rng = SeededGenerator(seed: 21)
        let x0 = Tensor.randomNormal(shape: [2, 5, 8], using: &rng)
        // One fixed random weight per output element, so the loss reads every element.
        func loss(_ outputs: [Tensor]) -> Tensor {
            indices.enumerated().map { k, i in
                var weights = SeededGenerator(seed: UInt64(100 + k))
                return (outputs[i] * Tensor.randomNormal(shape: outputs[i].shape, using: &weights)).sum()
            }.dropFirst().reduce(loss0(outputs)) { $0 + $1 }
        }
        func loss0(_ outputs: [Tensor]) -> Tensor {
            var weights = SeededGenerator(seed: 100)
            return (outputs[indices[0]] * Tensor.randomNormal(shape: outputs[indices[0]].shape, using: &weights)).sum()
        }
        let x = x0.requiringGradient()
        let analytic = gradients(of: loss(try executor.run(["x": x])), wrt: [x])[0].scalars
        let eps: Float = 1e-2
        var worst: Float = 0
        for i in stride(from: 0, to: x0.count, by: 7) {
            var plus = x0, minus = x0
            plus.withUnsafeMutableBufferPointer { $0[i] += eps }
            minus.withUnsafeMutableBufferPointer { $0[i] -= eps }
            let numeric = try GradientMode.withoutRecording {
                (loss(try executor.run(["x": plus])).scalar - loss(try executor.run(["x": minus])).scalar) / (2 * eps)
            }
            worst = max(worst, abs(numeric - analytic[i]) / max(1, abs(numeric)))
        }
        #expect(worst <= 2e-2, "worst relative gradient difference \(worst)")
    }
}
