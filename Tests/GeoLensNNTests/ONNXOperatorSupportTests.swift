import Foundation
import Testing
@testable import GeoLensNN

@Suite("ONNX operator support")
struct ONNXOperatorSupportTests {
    @Test("one error lists every unsupported operator type with its nodes")
    func unsupportedOperatorsListed() throws {
        let url = ONNXFixtures.url("unsupported_ops.onnx")
        let error = try #require(throws: ONNXError.self) { try ONNXModel.load(url) }
        #expect(error.code == .unsupportedOperators)
        #expect(error.message.contains("4 operator types"))
        #expect(error.message.contains("LpNormalization (norm_a)"))
        #expect(error.message.contains("Round (round_a, round_b)"))
        #expect(error.message.contains("Floor (floor_a)"))
        #expect(error.message.contains("TopK (topk_a)"))
        #expect(!error.message.contains("Conv ("))
        #expect(!error.message.contains("Flatten ("))
        #expect(error.message.contains("unsupported_ops.onnx"))
        // The graph itself is readable; only running it is refused.
        let parsed = try ONNXModel.parse(url)
        #expect(parsed.graph.nodes.count == 8)
    }

    @Test("operator sets outside 11...20 are refused with the version named", arguments: [9, 10, 21, 22])
    func opsetRange(version: Int64) throws {
        let url = try ONNXFixtures.write(ONNXFixtures.reluModel(opset: version))
        let error = try #require(throws: ONNXError.self) { try ONNXModel.load(url) }
        #expect(error.code == .unsupportedOpset)
        #expect(error.message.contains("operator set \(version)"))
        #expect(error.message.contains("11 to 20"))
    }

    @Test("operator sets 11, 18 and 20 are accepted", arguments: [11, 18, 20])
    func opsetBounds(version: Int64) throws {
        let url = try ONNXFixtures.write(ONNXFixtures.reluModel(opset: version))
        let model = try ONNXModel.load(url)
        #expect(model.opsetVersion == Int(version))
        let plan = try model.plan(for: [:])
        #expect(plan.steps.map(\.opType) == ["Relu"])
        #expect(plan.tensorShapes["y"] == [4])
    }

    @Test("a Concat with no inputs is a shape error naming the node, not a crash")
    func concatWithoutInputs() throws {
        var model = ONNXFixtures.reluModel(opset: 17, opType: "Concat")
        model.graph.node[0].input = []
        var axis = Onnx_AttributeProto()
        axis.name = "axis"
        axis.type = .int
        axis.i = 0
        model.graph.node[0].attribute = [axis]
        let url = try ONNXFixtures.write(model)
        let error = try #require(throws: ONNXError.self) { try ONNXModel.load(url).plan(for: [:]) }
        #expect(error.message.contains("no inputs"), "\(error.message)")
    }

    @Test("nodes from a non-default domain are refused")
    func foreignDomain() throws {
        let url = try ONNXFixtures.write(ONNXFixtures.reluModel(opset: 17, domain: "com.microsoft", opType: "FusedConv"))
        let error = try #require(throws: ONNXError.self) { try ONNXModel.load(url) }
        #expect(error.code == .unsupportedOpset)
        #expect(error.message.contains("com.microsoft::FusedConv (act)"))
    }

    @Test("the supported set is the documented one")
    func supportedSet() {
        #expect(ONNXOperatorSupport.supportedOperators.count == 75)
        for op in ["Conv", "Resize", "Upsample", "Gemm", "Expand", "Range", "Where", "Ceil", "LayerNormalization", "Gelu",
                   "Einsum", "Mod", "Tile", "Trilu", "CumSum", "ScatterND", "GatherElements"] {
            #expect(ONNXOperatorSupport.supportedOperators.contains(op))
        }
        #expect(!ONNXOperatorSupport.supportedOperators.contains("LSTM"))
    }
}

@Suite("ONNX graph checks")
struct ONNXGraphCheckTests {
    @Test("an initializer with absurd dimensions is refused, not allocated")
    func absurdDimensions() throws {
        var model = ONNXFixtures.reluModel(opset: 17)
        var tensor = Onnx_TensorProto()
        tensor.name = "huge"
        tensor.dataType = 1
        tensor.dims = [1 << 31, 1 << 31]
        model.graph.initializer = [tensor]
        let error = try #require(throws: ONNXError.self) { try ONNXModel.load(ONNXFixtures.write(model)) }
        #expect(error.code == .invalidTensor)
        #expect(error.message.contains("'huge'"))
    }

    @Test("nodes stored out of order are planned in dependency order; cycles are refused")
    func ordering() throws {
        var model = ONNXFixtures.reluModel(opset: 13)
        var first = model.graph.node[0]
        var second = first
        second.name = "sig"
        second.opType = "Sigmoid"
        second.input = ["y"]
        second.output = ["z"]
        model.graph.node = [second, first]
        var z = Onnx_ValueInfoProto()
        z.name = "z"
        model.graph.output = [z]
        let plan = try ONNXModel.load(ONNXFixtures.write(model)).plan(for: [:])
        #expect(plan.steps.map(\.name) == ["act", "sig"])
        #expect(plan.tensorShapes["z"] == [4])

        first.input = ["z"]
        model.graph.node = [second, first]
        let cyclic = try ONNXModel.load(ONNXFixtures.write(model))
        let error = try #require(throws: ONNXError.self) { try cyclic.plan(for: [:]) }
        #expect(error.code == .malformedModel)
        #expect(error.message.contains("cycle"))
    }
}
