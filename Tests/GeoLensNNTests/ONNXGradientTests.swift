import Foundation
import Testing
import GeoLensTensor
import GeoLensTestSupport
@testable import GeoLensNN

/// Gradients through imported graphs against PyTorch autograd, captures by tensor name, and
/// loading `.onnx` files through `ModelLoader`.
@Suite("ONNX gradients and loading")
struct ONNXGradientTests {
    struct GradientRecord: Decodable {
        let model: String
        let tensor: String
        let targetClass: Int
        let input: ReferenceTensor
        let logits: ReferenceTensor
        let inputGradient: ReferenceTensor
        let tensorGradient: ReferenceTensor
    }

    static func record() throws -> GradientRecord {
        try JSONDecoder().decode(GradientRecord.self, from: Data(contentsOf: ONNXFixtures.url("unet_resnet18_op13_gradients.json")))
    }

    /// The summed logits of one class.
    static func target(_ logits: Tensor, _ c: Int) -> Tensor {
        logits.slice(alongAxis: 1, start: c, end: c + 1).sum()
    }

    static func expectClose(_ actual: Tensor, _ expected: ReferenceTensor, _ what: String) {
        guard let error = referenceError(actual, expected) else {
            Issue.record("\(what): shape \(actual.shape), expected \(expected.shape)")
            return
        }
        let magnitude = expected.data.map(abs).max() ?? 0
        #expect(magnitude > 0)
        #expect(error.worst <= 1e-4 * magnitude, "\(what): worst difference \(error.worst) for largest value \(magnitude)")
    }

    @Test("the input gradient of a class's summed logits matches PyTorch")
    func inputGradient() throws {
        let record = try Self.record()
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(record.model)))
        let x = record.input.tensor.requiringGradient()
        let logits = model.forward(x, context: ForwardContext(mode: .evaluation))
        Self.expectClose(logits, record.logits, "logits")
        let grads = gradients(of: Self.target(logits, record.targetClass), wrt: [x])
        Self.expectClose(grads[0], record.inputGradient, "input gradient")
    }

    @Test("a captured leaf tensor receives PyTorch's gradient and execution continues from it")
    func intermediateGradient() throws {
        let record = try Self.record()
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(record.model)))
        #expect(model.camLayers.contains(record.tensor))
        let context = ForwardContext(mode: .evaluation, captures: [record.tensor: .leaf])
        let logits = model.forward(record.input.tensor, context: context)
        Self.expectClose(logits, record.logits, "logits with a leaf capture")
        let activation = try #require(context.captured[record.tensor])
        #expect(activation.shape == record.tensorGradient.shape)
        let grads = gradients(of: Self.target(logits, record.targetClass), wrt: [activation])
        Self.expectClose(grads[0], record.tensorGradient, "gradient at \(record.tensor)")
    }

    @Test("capturing a convolution output hidden by a fusion runs that convolution unfused, same logits")
    func captureTurnsFusionOff() throws {
        let fixture = try ONNXModelFixture.load("unet_resnet18_op13")
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        let prepared = try model.executor.preparedPlan(for: [fixture.inputName: fixture.input.shape])
        let group = try #require(prepared.groups.values.first { $0.activation == .relu })
        let hidden = try #require(group.hiddenTensors.first)
        let context = ForwardContext(mode: .evaluation, captures: [hidden: .record, group.resultTensor: .record])
        let logits = GradientMode.withoutRecording { model.forward(fixture.input.tensor, context: context) }
        #expect((referenceError(logits, fixture.output)?.worst ?? .infinity) <= 1e-4)
        let before = try #require(context.captured[hidden]), after = try #require(context.captured[group.resultTensor])
        #expect(before.scalars.contains { $0 < 0 })
        #expect(after.scalars == before.relu().scalars)
    }

    @Test("Conv + BN + SiLU (Sigmoid, Mul) runs as one fused convolution; capturing inside it gives the same logits")
    func swishFusion() throws {
        let fixture = try ONNXModelFixture.load("unet_tf_efficientnet_b0_op13")
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        let prepared = try model.executor.preparedPlan(for: [fixture.inputName: fixture.input.shape])
        let swish = prepared.groups.values.filter { $0.activation == .silu }
        #expect(swish.count >= 10, "SiLU convolutions fused: \(swish.count)")
        #expect(swish.allSatisfy { $0.activationSteps.map(\.opType) == ["Sigmoid", "Mul"] })
        let fused = GradientMode.withoutRecording { model.forward(fixture.input.tensor, context: ForwardContext(mode: .evaluation)) }
        #expect((referenceError(fused, fixture.output)?.worst ?? .infinity) <= 1e-4)
        let group = try #require(swish.first)
        let hidden = try #require(group.activationSteps.first?.inputs.first)
        let context = ForwardContext(mode: .evaluation, captures: [hidden: .record, group.resultTensor: .record])
        let unfused = GradientMode.withoutRecording { model.forward(fixture.input.tensor, context: context) }
        #expect((referenceError(unfused, fixture.output)?.worst ?? .infinity) <= 1e-4)
        let before = try #require(context.captured[hidden]), after = try #require(context.captured[group.resultTensor])
        #expect(maxDifference(after, before.silu()) <= 1e-6)
        #expect(maxDifference(unfused, fused) <= 1e-5)
    }

    @Test("the default explanation layer is the lowest-resolution encoder tensor", arguments: ONNXModelFixture.names)
    func defaultLayer(name: String) throws {
        let fixture = try ONNXModelFixture.load(name)
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        let shapes = fixture.tensorShapes
        let chosen = try #require(shapes[model.defaultCAMLayer])
        let smallest = model.camLayers.compactMap { shapes[$0] }.map { $0[2] * $0[3] }.min()
        #expect(chosen[2] * chosen[3] == smallest)
        #expect(model.camLayers.first != model.defaultCAMLayer)
    }

    @Test("ModelLoader loads .onnx without a card, checks a card against the graph")
    func loader() throws {
        let folder = try ONNXFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("net.onnx")
        try FileManager.default.copyItem(at: ONNXFixtures.url("unet_resnet18_op13.onnx"), to: url)
        let plain = try ModelLoader.load(checkpoint: url)
        #expect(plain.format == "onnx")
        #expect(plain.classNames == ["class_0", "class_1", "class_2"])
        #expect(plain.model.inChannels == 4)

        let card = folder.appendingPathComponent("net.onnx.json")
        try Data(#"{"architecture": "onnx", "in_channels": 4, "classes": ["a", "b", "c"]}"#.utf8).write(to: card)
        #expect(try ModelLoader.load(checkpoint: url).classNames == ["a", "b", "c"])

        try Data(#"{"architecture": "onnx", "in_channels": 4, "classes": ["a", "b"]}"#.utf8).write(to: card)
        let wrongClasses = #expect(throws: ModelCardError.self) { try ModelLoader.load(checkpoint: url) }
        #expect(wrongClasses?.message.contains("has 3") == true)

        try Data(#"{"architecture": "onnx", "in_channels": 6}"#.utf8).write(to: card)
        let wrongBands = #expect(throws: ModelCardError.self) { try ModelLoader.load(checkpoint: url) }
        #expect(wrongBands?.message.contains("takes 4 channels") == true)

        try Data(#"{"architecture": "unet", "in_channels": 4}"#.utf8).write(to: card)
        #expect(throws: ModelCardError.self) { try ModelLoader.load(checkpoint: url) }
    }
}

/// The largest absolute elementwise difference of two tensors of one shape.
private func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    guard a.shape == b.shape else { return .infinity }
    return zip(a.scalars, b.scalars).map { Swift.abs($0 - $1) }.max() ?? 0
}
