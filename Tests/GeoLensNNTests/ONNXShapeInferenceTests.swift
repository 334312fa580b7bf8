import Foundation
import Testing
@testable import GeoLensNN

@Suite("ONNX shape folding and plans")
struct ONNXShapeInferenceTests {
    @Test("every tensor's shape matches onnxruntime, at 64 x 64 and 96 x 64", arguments: ONNXModelFixture.names)
    func shapesMatchOnnxruntime(name: String) throws {
        let fixture = try ONNXModelFixture.load(name)
        let model = try ONNXModel.load(ONNXFixtures.url(fixture.model))
        for (height, expected) in [(64, fixture.tensorShapes), (96, fixture.tensorShapesTall)] {
            let plan = try model.plan(for: [fixture.inputName: [1, fixture.bands, height, 64]])
            #expect(plan.tensorShapes[fixture.outputName] == [1, fixture.classes, height, 64])
            var mismatches: [String] = []
            for (tensor, shape) in expected where plan.tensorShapes[tensor] != shape {
                mismatches.append("\(tensor): \(plan.tensorShapes[tensor] ?? []) vs onnxruntime \(shape)")
            }
            #expect(mismatches.isEmpty, "\(name) at height \(height): \(mismatches.prefix(5))")
            #expect(expected.count > 20)
        }
        let plan = try model.plan(for: [fixture.inputName: fixture.input.shape])
        #expect(plan.tensorShapes[fixture.outputName] == fixture.output.shape)
    }

    @Test("the integer shape subgraph is folded away", arguments: ONNXModelFixture.names)
    func shapeSubgraphFolded(name: String) throws {
        let fixture = try ONNXModelFixture.load(name)
        let model = try ONNXModel.load(ONNXFixtures.url(fixture.model))
        let plan = try model.plan(for: [fixture.inputName: [2, fixture.bands, 64, 64]])
        let shapeOps: Set<String> = ["Shape", "Constant", "Gather", "Unsqueeze", "Cast", "ConstantOfShape", "Ceil", "Range", "Equal", "Where"]
        #expect(plan.steps.filter { shapeOps.contains($0.opType) }.map(\.name) == [])
        #expect(plan.foldedNodeCount > 0)
        #expect(plan.steps.contains { $0.opType == "Conv" })
        // Every step input is a graph input, an earlier step's output or a plan constant.
        var available = Set(plan.inputShapes.keys).union(plan.constants.keys)
        for step in plan.steps {
            for input in step.inputs where !input.isEmpty {
                #expect(available.contains(input), "\(step.name) reads \(input) before it exists")
            }
            available.formUnion(step.outputs)
            #expect(step.outputShapes.first == plan.tensorShapes[step.outputs[0]])
        }
        // Every Resize and Reshape has its target resolved to plain integers.
        for step in plan.steps where step.opType == "Resize" {
            #expect(step.attributes.ints["sizes"] == plan.tensorShapes[step.outputs[0]])
            #expect(step.inputs.count == 1)
        }
        for step in plan.steps where step.opType == "Reshape" {
            #expect(step.attributes.ints["shape"] == plan.tensorShapes[step.outputs[0]])
        }
    }

    @Test("EfficientNet's dynamic same padding folds into constant Pad amounts")
    func efficientNetSamePadding() throws {
        let model = try ONNXModel.load(ONNXFixtures.url("unet_tf_efficientnet_b0_op13.onnx"))
        let pads = { (height: Int) throws -> [[Int]] in
            try model.plan(for: ["image": [1, 6, height, 64]]).steps.filter { $0.opType == "Pad" }.map { $0.attributes.ints["pads"] ?? [] }
        }
        // Stem: 3x3 stride 2 on 64 pads 0 before, 1 after; on 65 it pads 1 on both sides.
        let even = try pads(64), odd = try pads(65)
        #expect(even.count == 3)
        #expect(even.first == [0, 0, 0, 0, 0, 0, 1, 1])
        #expect(odd.first == [0, 0, 1, 0, 0, 0, 1, 1])
    }

    @Test("plans are cached per input shape")
    func planCache() throws {
        let model = try ONNXModel.load(ONNXFixtures.url("unet_resnet34_op17.onnx"))
        let a = try model.plan(for: ["image": [1, 13, 64, 64]])
        _ = try model.plan(for: ["image": [1, 13, 64, 64]])
        #expect(model.planCache.count == 1)
        let b = try model.plan(for: ["image": [3, 13, 32, 96]])
        #expect(model.planCache.count == 2)
        #expect(a.tensorShapes["logits"] == [1, 5, 64, 64])
        #expect(b.tensorShapes["logits"] == [3, 5, 32, 96])
    }

    @Test("input shapes that contradict the graph are refused")
    func wrongInputShapes() throws {
        let model = try ONNXModel.load(ONNXFixtures.url("unet_resnet34_op17.onnx"))
        let bands = try #require(throws: ONNXError.self) { try model.plan(for: ["image": [1, 4, 64, 64]]) }
        #expect(bands.code == .inputShape)
        #expect(bands.message.contains("[1, 4, 64, 64]"))
        let name = try #require(throws: ONNXError.self) { try model.plan(for: ["input": [1, 13, 64, 64]]) }
        #expect(name.message.contains("'input'"))
        let symbolic = try #require(throws: ONNXError.self) { try model.plan(for: [:]) }
        #expect(symbolic.message.contains("symbolic"))
    }

    @Test("Conv and activation pairs are recorded for fusion")
    func convActivationFusions() throws {
        let model = try ONNXModel.load(ONNXFixtures.url("unet_resnet18_op13.onnx"))
        let plan = try model.plan(for: ["image": [1, 4, 64, 64]])
        let relus = plan.fusions.filter { $0.kind == .activation(.relu) }
        #expect(relus.count >= 10)
        for fusion in plan.fusions {
            #expect(plan.steps.first { $0.name == fusion.convolution }?.opType == "Conv")
            #expect(plan.steps.contains { $0.name == fusion.follower })
        }
        let mobile = try ONNXModel.load(ONNXFixtures.url("fpn_mobilenet_v2_op13.onnx"))
        let mobilePlan = try mobile.plan(for: ["image": [1, 8, 64, 64]])
        #expect(mobilePlan.fusions.contains { $0.kind == .activation(.relu6) })
    }
}
