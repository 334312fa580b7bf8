import Foundation
import Testing
import GeoLensTensor
import GeoLensTestSupport
@testable import GeoLensNN

/// Runs imported graphs and compares with what onnxruntime computed on the same files.
@Suite("ONNX execution")
struct ONNXExecutionTests {
    struct OpZooRecord: Decodable {
        let input: ReferenceTensor
        let tensorValues: [String: ReferenceTensor]
        let otherInputShape: [Int]
        let tensorShapesOther: [String: [Int]]
    }

    struct PairRecord: Decodable {
        let input: ReferenceTensor
        let output: ReferenceTensor
    }

    /// Worst absolute difference, failing the comparison when the shapes differ.
    static func worstDifference(_ actual: Tensor, _ expected: ReferenceTensor) -> Float {
        referenceError(actual, expected)?.worst ?? .infinity
    }

    @Test("smp model logits match onnxruntime within 1e-4", arguments: ONNXModelFixture.names)
    func logitsMatchOnnxruntime(name: String) throws {
        let fixture = try ONNXModelFixture.load(name)
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        #expect(model.inChannels == fixture.bands)
        #expect(model.classCount == fixture.classes)
        let logits = model(fixture.input.tensor)
        let worst = Self.worstDifference(logits, fixture.output)
        #expect(worst <= 1e-4, "\(name): worst difference \(worst)")
    }

    @Test("every tensor of the operator zoo matches onnxruntime", arguments: [11, 13, 18])
    func opZooValues(opset: Int) throws {
        let record = try JSONDecoder().decode(OpZooRecord.self, from: Data(contentsOf: ONNXFixtures.url("op_zoo_op\(opset).json")))
        let model = try ONNXModel.load(ONNXFixtures.url("op_zoo_op\(opset).onnx"))
        let executor = ONNXExecutor(model: model)
        // Recording every tensor also runs the convolutions unfused, so each operator is checked by itself.
        let context = ForwardContext(mode: .evaluation, captures: record.tensorValues.mapValues { _ in .record })
        let outputs = try GradientMode.withoutRecording { try executor.run(["x": record.input.tensor], context: context) }
        #expect(outputs.count == model.graph.outputs.count)
        var checked = 0
        for (name, expected) in record.tensorValues.sorted(by: { $0.key < $1.key }) {
            guard let actual = context.captured[name] else { continue }
            let scale = max(1, expected.data.map(abs).max() ?? 0)
            let worst = Self.worstDifference(actual, expected)
            #expect(worst <= 1e-4 * scale, "op_zoo_op\(opset) tensor '\(name)': worst difference \(worst) (shape \(actual.shape), expected \(expected.shape))")
            checked += 1
        }
        // Tensors folded into constants at plan time are not computed per run; everything else is.
        let plan = try model.plan(for: ["x": record.input.shape])
        let computed = Set(plan.steps.flatMap(\.outputs)).intersection(record.tensorValues.keys)
        #expect(checked >= computed.count, "checked \(checked) of \(computed.count) computed tensors")
        #expect(checked > 20)
        // The same graph at another batch size and spatial size gives onnxruntime's shapes.
        let other = try executor.run(["x": Tensor(zeros: record.otherInputShape)])
        for (output, info) in zip(other, model.graph.outputs) {
            #expect(output.shape == record.tensorShapesOther[info.name])
        }
    }

    @Test("a Conv + BatchNormalization pair runs folded and matches onnxruntime")
    func convBatchNorm() throws {
        let record = try JSONDecoder().decode(PairRecord.self, from: Data(contentsOf: ONNXFixtures.url("conv_bn.json")))
        let executor = ONNXExecutor(model: try ONNXModel.load(ONNXFixtures.url("conv_bn.onnx")))
        let plan = try executor.preparedPlan(for: [executor.model.graph.inputs[0].name: record.input.shape])
        #expect(plan.absorbed == ["bn"])
        let y = try executor.run([executor.model.graph.inputs[0].name: record.input.tensor])[0]
        #expect(Self.worstDifference(y, record.output) <= 1e-4)
    }

    @Test("the zero Pads of TensorFlow-style same padding become convolution padding")
    func padFolding() throws {
        let fixture = try ONNXModelFixture.load("unet_tf_efficientnet_b0_op13")
        let executor = ONNXExecutor(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        let prepared = try executor.preparedPlan(for: [fixture.inputName: fixture.input.shape])
        let padded = prepared.groups.values.filter { $0.padding != nil }
        #expect(!padded.isEmpty)
        // Its SiLU activations (Mul(x, Sigmoid(x))) run as one operation.
        #expect(prepared.swish.count >= 10)
        #expect(padded.allSatisfy { prepared.absorbed.contains($0.padding!.name) && $0.extraPadding.contains { $0 > 0 } })
        // Recording a Pad output turns that fusion off; the logits stay the same.
        let hidden = try #require(padded.first?.padding?.outputs.first)
        let context = ForwardContext(mode: .evaluation, captures: [hidden: .record])
        let logits = try GradientMode.withoutRecording { try executor.run([fixture.inputName: fixture.input.tensor], context: context)[0] }
        #expect(Self.worstDifference(logits, fixture.output) <= 1e-4)
        #expect(context.captured[hidden] != nil)
    }

    @Test("weights in an external data file run like inline ones")
    func externalData() throws {
        let record = try JSONDecoder().decode(PairRecord.self, from: Data(contentsOf: ONNXFixtures.url("tiny_external.json")))
        let executor = ONNXExecutor(model: try ONNXModel.load(ONNXFixtures.url("tiny_external.onnx")))
        let y = try executor.run([executor.model.graph.inputs[0].name: record.input.tensor])[0]
        #expect(Self.worstDifference(y, record.output) <= 1e-4)
    }

    @Test("dynamic batch and spatial sizes get one plan each, reused, with consistent results")
    func dynamicShapes() throws {
        let fixture = try ONNXModelFixture.load("unet_resnet18_op13")
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        let single = fixture.input.tensor
        let pair = Tensor.concatenate([single, single * 0.5], alongAxis: 0)
        let tall = Tensor.concatenate([single, single.slice(alongAxis: 2, start: 0, end: 32)], alongAxis: 2)
        // One thread: a batch of two runs as one batch rather than split into single images.
        let (first, batched, tallLogits) = Parallel.withThreadCount(1) {
            let logits = (model(single), model(pair), model(tall))
            _ = model(single)
            _ = model(pair)
            return logits
        }
        #expect(model.executor.preparedPlanCount == 3)
        #expect(batched.shape == [2, fixture.classes, 64, 64])
        #expect(tallLogits.shape == [1, fixture.classes, 96, 64])
        let worstFirst = Self.worstDifference(batched.slice(alongAxis: 0, start: 0, end: 1), fixture.output)
        #expect(worstFirst <= 1e-4)
        let halfInput = model(single * 0.5)
        let second = batched.slice(alongAxis: 0, start: 1, end: 2)
        let gap = zip(second.scalars, halfInput.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(gap <= 1e-4)
        #expect(first.scalars != halfInput.scalars)
    }

    @Test("wrong channel counts are refused with the expected shape in the message")
    func wrongChannels() throws {
        let fixture = try ONNXModelFixture.load("unet_resnet18_op13")
        let model = try ONNXSegmentationModel(model: try ONNXModel.load(ONNXFixtures.url(fixture.model)))
        let error = #expect(throws: ONNXError.self) { try model.logits(Tensor(zeros: [1, 3, 64, 64])) }
        #expect(error?.message.contains("N x 4 x H x W") == true)
    }
}
