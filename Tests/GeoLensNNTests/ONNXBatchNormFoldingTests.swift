import Foundation
import Testing
import GeoLensTensor
import GeoLensTestSupport
@testable import GeoLensNN

@Suite("ONNX Conv + BatchNormalization folding")
struct ONNXBatchNormFoldingTests {
    struct Record: Decodable {
        let epsilon: Float
        let foldedWeight: ReferenceTensor
        let foldedBias: ReferenceTensor
    }

    @Test("the Conv + BN pair is found and folds to numpy's weights")
    func foldsLikeNumpy() throws {
        let record = try JSONDecoder().decode(Record.self, from: Data(contentsOf: ONNXFixtures.url("conv_bn.json")))
        let model = try ONNXModel.load(ONNXFixtures.url("conv_bn.onnx"))
        let plan = try model.plan(for: [:])
        #expect(plan.fusions == [ONNXFusion(kind: .batchNormalization, convolution: "conv", follower: "bn")])
        #expect(plan.steps.first { $0.name == "bn" }?.attributes.float("epsilon") == record.epsilon)
        let folded = try #require(ONNXBatchNormFolding.fold(plan.fusions[0], in: plan))
        for (actual, expected) in [(folded.weight, record.foldedWeight), (folded.bias, record.foldedBias)] {
            let error = try #require(referenceError(actual, expected))
            #expect(error.worst <= 1e-6 * error.scale, "worst \(error.worst)")
        }
    }

    @Test("folding without a conv bias and with identity statistics")
    func foldArithmetic() {
        let weight = Tensor(shape: [2, 1, 1, 2], scalars: [1, 2, 3, 4])
        let folded = ONNXBatchNormFolding.fold(
            weight: weight, bias: nil, scale: Tensor(shape: [2], scalars: [2, 1]), offset: Tensor(shape: [2], scalars: [0.5, -1]),
            mean: Tensor(shape: [2], scalars: [1, 0]), variance: Tensor(shape: [2], scalars: [4, 1]), epsilon: 0)
        // s = gamma / sqrt(var) is 2 / 2 = 1 and 1 / 1 = 1, so only the bias moves: (0 - mean) * 1 + beta.
        #expect(folded.weight.scalars == [1, 2, 3, 4])
        #expect(folded.bias.scalars == [-0.5, -1])
        let halved = ONNXBatchNormFolding.fold(
            weight: weight, bias: Tensor(shape: [2], scalars: [1, 1]), scale: Tensor(shape: [2], scalars: [1, 1]),
            offset: Tensor(shape: [2], scalars: [0, 0]), mean: Tensor(shape: [2], scalars: [0, 0]),
            variance: Tensor(shape: [2], scalars: [4, 16]), epsilon: 0)
        #expect(halved.weight.scalars == [0.5, 1, 0.75, 1])
        #expect(halved.bias.scalars == [0.5, 0.25])
    }

    @Test("a Conv whose output is also read elsewhere is not fused")
    func sharedOutputNotFused() throws {
        let steps = [
            ONNXPlanStep(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["c"], outputShapes: [[1]], attributes: .init()),
            ONNXPlanStep(name: "bn", opType: "BatchNormalization", inputs: ["c", "g", "b", "m", "v"], outputs: ["y"], outputShapes: [[1]], attributes: .init()),
            ONNXPlanStep(name: "relu", opType: "Relu", inputs: ["y"], outputs: ["z"], outputShapes: [[1]], attributes: .init()),
        ]
        #expect(ONNXFusionFinder.fusions(in: steps, outputs: ["z"]) == [
            ONNXFusion(kind: .batchNormalization, convolution: "conv", follower: "bn"),
            ONNXFusion(kind: .activation(.relu), convolution: "conv", follower: "relu"),
        ])
        #expect(ONNXFusionFinder.fusions(in: steps, outputs: ["z", "c"]) == [])
    }
}
