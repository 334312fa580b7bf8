import Foundation
import Testing
import GeoLensTestSupport
@testable import GeoLensNN

/// Shape rules and constant folding on the hand-made operator graphs of
/// scripts/onnx/export_models.py (`op_zoo_op11/13/18.onnx`), where every tensor is a graph output.
@Suite("ONNX operator shape rules")
struct ONNXOperatorShapeTests {
    struct Record: Decodable {
        let opset: Int
        let input: ReferenceTensor
        let otherInputShape: [Int]
        let tensorShapes: [String: [Int]]
        let tensorShapesOther: [String: [Int]]
        let tensorValues: [String: ReferenceTensor]
    }

    static func load(_ opset: Int) throws -> (ONNXModel, Record) {
        let record = try JSONDecoder().decode(Record.self, from: Data(contentsOf: ONNXFixtures.url("op_zoo_op\(opset).json")))
        return (try ONNXModel.load(ONNXFixtures.url("op_zoo_op\(opset).onnx")), record)
    }

    @Test("every operator's output shape matches onnxruntime", arguments: [11, 13, 18])
    func shapesMatch(opset: Int) throws {
        let (model, record) = try Self.load(opset)
        #expect(model.opsetVersion == record.opset)
        for (input, expected) in [(record.input.shape, record.tensorShapes), (record.otherInputShape, record.tensorShapesOther)] {
            let plan = try model.plan(for: ["x": input])
            let wrong = expected.filter { plan.tensorShapes[$0.key] != $0.value }
                .map { "\($0.key): \(plan.tensorShapes[$0.key] ?? []) vs \($0.value)" }
            #expect(wrong.isEmpty, "opset \(opset), input \(input): \(wrong)")
            #expect(expected.count >= 54)
        }
    }

    @Test("folded constants hold onnxruntime's values", arguments: [11, 13, 18])
    func foldedValues(opset: Int) throws {
        let (model, record) = try Self.load(opset)
        let plan = try model.plan(for: ["x": record.input.shape])
        let folded = ["shape", "gather_hw", "gather_batch", "target", "fill", "range", "equal", "where_int", "cast_picked"]
        for name in folded {
            let value = try #require(plan.constants[name], "\(name) was not folded")
            let expected = try #require(record.tensorValues[name])
            #expect(value.shape == expected.shape, "\(name)")
            #expect(value.floats == expected.data, "\(name)")
            #expect(plan.step(producing: name) == nil)
        }
        #expect(plan.constants["target"]?.integers == [1, -1])
        #expect(plan.constants["equal"]?.elementType == .bool)
        if opset >= 18 {
            #expect(plan.constants["shape_tail"]?.integers == [10, 12])
        }
    }

    @Test("step attributes are resolved to plain integers", arguments: [11, 13, 18])
    func resolvedAttributes(opset: Int) throws {
        let (model, record) = try Self.load(opset)
        let plan = try model.plan(for: ["x": record.input.shape])
        func attrs(_ step: String) throws -> ONNXResolvedAttributes { try #require(plan.step(producing: step)).attributes }
        #expect(try attrs("conv_same").ints["pads"] == [0, 0, 1, 1])
        #expect(try attrs("conv_same").strings["auto_pad"] == "NOTSET")
        #expect(try attrs("deconv").ints["pads"] == [1, 1, 1, 1])
        #expect(try attrs("avgpool_ceil").ints["ceil_mode"] == [1])
        #expect(try attrs("relu6").floats["min"] == [0])
        #expect(try attrs("relu6").floats["max"] == [6])
        #expect(try attrs("slice_reverse").ints["starts"] == [0, 0, 0, 5])
        #expect(try attrs("slice_reverse").ints["ends"] == [1, 3, 5, -1])
        #expect(try attrs("slice_reverse").ints["steps"] == [1, 1, 1, -2])
        #expect(try attrs("split_0").ints["split"] == [2, 3])
        #expect(try attrs("squeeze").ints["axes"] == [2, 3])
        #expect(try attrs("unsqueeze").ints["axes"] == [0])
        #expect(try attrs("reducemean").ints["axes"] == [2, 3])
        #expect(try attrs("expand").ints["shape"] == [2, 1, 5])
        #expect(try attrs("reshape").ints["shape"] == [1, 360])
        #expect(try attrs("pad_reflect").ints["pads"] == [0, 0, 1, 2, 0, 0, 2, 1])
        #expect(try attrs("pad_reflect").strings["mode"] == "reflect")
        #expect(try attrs("resize_scales").ints["sizes"] == [1, 3, 15, 6])
        #expect(try attrs("resize_scales").floats["scales"] == [1, 1, 1.5, 0.5])
        #expect(try attrs("resize_sizes").ints["sizes"] == [1, 3, 7, 9])
        #expect(plan.step(producing: "reshape")?.inputs == ["dropout"])
        #expect(try attrs("softmax").ints["axis"] == [1])
        #expect(try attrs("softmax").ints["coerce_to_2d"] == [opset >= 13 ? 0 : 1])
        #expect(try attrs("bn").floats["epsilon"] == [1e-3])
        #expect(try attrs("gemm").floats["alpha"] == [1])
        #expect(try attrs("gemm").ints["transB"] == [1])
        #expect(try attrs("leakyrelu").floats["alpha"] == [0.2])
        #expect(try attrs("instnorm").floats["epsilon"] == [1e-5])
        if opset >= 18 {
            #expect(try attrs("split_uneven_0").ints["split"] == [4, 4, 2])
            #expect(try attrs("pad_axes").ints["pads"] == [0, 0, 1, 0, 0, 0, 0, 2])
            #expect(try attrs("pad_axes").floats["value"] == [0.5])
        }
        // Every tensor is also a graph output, so no convolution result has a single reader.
        #expect(plan.fusions.isEmpty)
    }
}
