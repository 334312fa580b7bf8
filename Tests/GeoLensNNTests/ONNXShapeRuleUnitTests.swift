import Testing
import GeoLensTensor
@testable import GeoLensNN

/// Shape rules onnxruntime cannot check here (Upsample is gone from its newer operator sets) or
/// edge cases the fixture graphs do not reach.
@Suite("ONNX shape rule edge cases")
struct ONNXShapeRuleUnitTests {
    func infer(_ op: String, inputs: [(String, [Int])], constants: [String: ONNXConstant] = [:],
               attributes: [String: ONNXAttribute] = [:], opset: Int = 13) throws -> [[Int]] {
        var ctx = ONNXFoldingContext()
        for (name, shape) in inputs { ctx.shapes[name] = shape }
        for (name, value) in constants { ctx.setConstant(name, value) }
        let node = ONNXNode(name: "n", opType: op, inputs: inputs.map(\.0) + constants.keys.sorted(), outputs: ["y"],
                            attributes: attributes)
        return try ONNXShapeRules.infer(node, ctx, opset: opset).outputShapes
    }

    @Test("Upsample scales the spatial dimensions down to whole pixels")
    func upsample() throws {
        let scales = ONNXConstant(Tensor(shape: [4], scalars: [1, 1, 2, 2.5]))
        #expect(try infer("Upsample", inputs: [("x", [1, 3, 4, 5])], constants: ["s": scales], opset: 11) == [[1, 3, 8, 12]])
    }

    @Test("MatMul follows NumPy for 1-D operands and batch broadcasting")
    func matMul() throws {
        #expect(try infer("MatMul", inputs: [("a", [2, 1, 3, 4]), ("b", [5, 4, 6])]) == [[2, 5, 3, 6]])
        #expect(try infer("MatMul", inputs: [("a", [4]), ("b", [4, 6])]) == [[6]])
        #expect(try infer("MatMul", inputs: [("a", [3, 4]), ("b", [4])]) == [[3]])
        #expect(throws: ONNXError.self) { try infer("MatMul", inputs: [("a", [3, 4]), ("b", [5, 6])]) }
    }

    @Test("ConvTranspose honours output_shape")
    func convTransposeOutputShape() throws {
        let shapes = try infer("ConvTranspose", inputs: [("x", [1, 2, 5, 5]), ("w", [2, 3, 3, 3])],
                               attributes: ["strides": .ints([2, 2]), "output_shape": .ints([10, 10])])
        #expect(shapes == [[1, 3, 10, 10]])
    }

    @Test("ceil_mode never starts a window inside the end padding")
    func ceilModeTrim() throws {
        let attributes: [String: ONNXAttribute] = [
            "kernel_shape": .ints([2, 2]), "strides": .ints([3, 3]), "pads": .ints([1, 1, 1, 1]), "ceil_mode": .int(1),
        ]
        #expect(try infer("MaxPool", inputs: [("x", [1, 1, 4, 4])], attributes: attributes) == [[1, 1, 2, 2]])
        #expect(try infer("AveragePool", inputs: [("x", [1, 1, 6, 6])],
                          attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]), "ceil_mode": .int(1)]) == [[1, 1, 4, 4]])
    }

    @Test("a Reshape whose target is computed from tensor values is refused with the node named")
    func dynamicReshape() throws {
        let error = try #require(throws: ONNXError.self) {
            try infer("Reshape", inputs: [("x", [2, 6]), ("target", [2])])
        }
        #expect(error.code == .shapeInference)
        #expect(error.message.contains("'n' (Reshape)"))
        #expect(error.message.contains("computed at run time"))
    }
}
