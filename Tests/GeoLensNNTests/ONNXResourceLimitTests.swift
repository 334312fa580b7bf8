import Foundation
import Testing
@testable import GeoLensNN

/// Sizes an ONNX file declares (dimensions, attributes, constant shape inputs, external data
/// ranges) are checked before anything is allocated or computed from them: every case here was an
/// arithmetic trap, a division by zero or an allocation of terabytes before the checks.
@Suite("ONNX resource limits")
struct ONNXResourceLimitTests {
    /// A model with input `x` of `inputDims`, the given nodes and integer/float initializers, and
    /// output `y`.
    static func model(inputDims: [Int64] = [1, 3, 4, 4], nodes: [Onnx_NodeProto],
                      ints: [String: [Int64]] = [:], floats: [String: [Float]] = [:]) -> Onnx_ModelProto {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        model.opsetImport = [opset]
        var graph = Onnx_GraphProto()
        graph.node = nodes
        var x = Onnx_ValueInfoProto()
        x.name = "x"
        var type = Onnx_TypeProto.Tensor()
        type.elemType = 1
        type.shape.dim = inputDims.map { value in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = value
            return dim
        }
        x.type.tensorType = type
        graph.input = [x]
        var y = Onnx_ValueInfoProto()
        y.name = "y"
        graph.output = [y]
        for (name, values) in ints.sorted(by: { $0.key < $1.key }) {
            var tensor = Onnx_TensorProto()
            tensor.name = name
            tensor.dataType = 7
            tensor.dims = [Int64(values.count)]
            tensor.int64Data = values
            graph.initializer.append(tensor)
        }
        for (name, values) in floats.sorted(by: { $0.key < $1.key }) {
            var tensor = Onnx_TensorProto()
            tensor.name = name
            tensor.dataType = 1
            tensor.dims = []
            tensor.floatData = values
            graph.initializer.append(tensor)
        }
        model.graph = graph
        return model
    }

    static func node(_ op: String, _ inputs: [String], ints: [String: [Int64]] = [:]) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.name = "bad_\(op.lowercased())"
        node.opType = op
        node.input = inputs
        node.output = ["y"]
        for (name, values) in ints.sorted(by: { $0.key < $1.key }) {
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .ints
            attribute.ints = values
            node.attribute.append(attribute)
        }
        return node
    }

    /// Loads and plans `model` for its declared input, returning the error.
    static func planError(_ model: Onnx_ModelProto) throws -> ONNXError {
        let url = try ONNXFixtures.write(model)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        return try #require(throws: ONNXError.self) {
            let loaded = try ONNXModel.load(url)
            _ = try loaded.plan(for: [:])
        }
    }

    @Test("ConstantOfShape with a negative or astronomically large shape is a shape error")
    func constantOfShape() throws {
        let negative = try Self.planError(Self.model(nodes: [Self.node("ConstantOfShape", ["s"])], ints: ["s": [2, -1]]))
        #expect(negative.message.contains("'bad_constantofshape' (ConstantOfShape): infers shape [2, -1], which has a negative dimension"))
        let huge = try Self.planError(Self.model(nodes: [Self.node("ConstantOfShape", ["s"])], ints: ["s": [1 << 40, 1 << 40]]))
        #expect(huge.message.contains("more than the 4294967296 elements GeoLens allocates for one tensor"))
    }

    @Test("Range whose element count is infinite, not a number or too large is a shape error")
    func range() throws {
        for (limit, delta) in [(Float.infinity, Float(1)), (Float.nan, 1), (1e30, 1e-30)] {
            let error = try Self.planError(Self.model(nodes: [Self.node("Range", ["a", "b", "c"])],
                                                      floats: ["a": [0], "b": [limit], "c": [delta]]))
            #expect(error.message.contains("'bad_range' (Range): start 0.0, limit \(limit) and delta \(delta) give"))
        }
    }

    @Test("Tile, Reshape, Split and Pad with overflowing constants are shape errors")
    func overflowingConstants() throws {
        let tile = try Self.planError(Self.model(nodes: [Self.node("Tile", ["x", "r"])], ints: ["r": [1, 1, Int64.max / 2, 4]]))
        #expect(tile.message.contains("'bad_tile' (Tile)"))
        let tileHuge = try Self.planError(Self.model(nodes: [Self.node("Tile", ["x", "r"])], ints: ["r": [1, 1, 1 << 20, 1 << 20]]))
        #expect(tileHuge.message.contains("more than the 4294967296 elements"))
        let reshape = try Self.planError(Self.model(nodes: [Self.node("Reshape", ["x", "t"])],
                                                    ints: ["t": [-1, Int64.max / 2, Int64.max / 2]]))
        #expect(reshape.message.contains("'bad_reshape' (Reshape): cannot reshape [1, 3, 4, 4]"))
        var split = Self.node("Split", ["x", "s"])
        split.output = ["y", "z"]
        let splitError = try Self.planError(Self.model(nodes: [split], ints: ["s": [Int64.max, Int64.max]]))
        #expect(splitError.message.contains("'bad_split' (Split): split sizes"))
        let pad = try Self.planError(Self.model(nodes: [Self.node("Pad", ["x", "p"])], ints: ["p": [0, 0, 0, Int64.max, 0, 0, 0, 1]]))
        #expect(pad.message.contains("'bad_pad' (Pad): pads"))
    }

    @Test("Conv and pooling attributes that divide by zero or overflow are shape errors")
    func convolutionAttributes() throws {
        let zeroStride = try Self.planError(Self.model(nodes: [Self.node("MaxPool", ["x"], ints: ["kernel_shape": [2, 2], "strides": [0, 0]])]))
        #expect(zeroStride.message.contains("'bad_maxpool' (MaxPool): kernel_shape [2, 2], strides [0, 0]"))
        let hugeDilation = try Self.planError(Self.model(nodes: [Self.node("MaxPool", ["x"], ints: [
            "kernel_shape": [3, 3], "dilations": [Int64.max / 2, 1],
        ])]))
        #expect(hugeDilation.message.contains("must be positive (pads non-negative) and at most 1048576"))
        var transpose = Self.node("ConvTranspose", ["x", "w"], ints: ["output_shape": [8]])
        transpose.name = "bad_transpose"
        var weight = Onnx_TensorProto()
        weight.name = "w"
        weight.dataType = 1
        weight.dims = [3, 2, 3, 3]
        weight.floatData = [Float](repeating: 0, count: 54)
        var model = Self.model(nodes: [transpose])
        model.graph.initializer.append(weight)
        let outputShape = try Self.planError(model)
        #expect(outputShape.message.contains("'bad_transpose' (ConvTranspose)"))
        #expect(outputShape.message.contains("output_shape [8] does not fit input [1, 3, 4, 4]"))
    }

    @Test("a declared input larger than the memory budget is refused before planning")
    func hugeInput() throws {
        let error = try Self.planError(Self.model(inputDims: [1, 3, 1 << 20, 1 << 20], nodes: [Self.node("Relu", ["x"])]))
        #expect(error.code == .inputShape)
        #expect(error.message.contains("input 'x' has shape [1, 3, 1048576, 1048576], more than the 4294967296 elements"))
    }

    @Test("an external data offset near Int.max is an error, not an overflow")
    func externalOffset() throws {
        let folder = try ONNXFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["tiny_external.onnx", "tiny_external.onnx.data"] {
            try FileManager.default.copyItem(at: ONNXFixtures.url(name), to: folder.appendingPathComponent(name))
        }
        let url = folder.appendingPathComponent("tiny_external.onnx")
        var proto = try Onnx_ModelProto(serializedBytes: Data(contentsOf: url))
        let index = try #require(proto.graph.initializer.firstIndex { $0.dataLocation == .external })
        proto.graph.initializer[index].externalData = proto.graph.initializer[index].externalData.map { entry in
            var entry = entry
            if entry.key == "offset" { entry.value = "\(Int64.max - 4)" }
            return entry
        }
        if !proto.graph.initializer[index].externalData.contains(where: { $0.key == "offset" }) {
            var entry = Onnx_StringStringEntryProto()
            entry.key = "offset"
            entry.value = "\(Int64.max - 4)"
            proto.graph.initializer[index].externalData.append(entry)
        }
        try (proto.serializedData() as Data).write(to: url)
        let error = try #require(throws: ONNXError.self) { try ONNXModel.load(url) }
        #expect(error.code == .externalData)
        #expect(error.message.contains("from offset \(Int64.max - 4) lie beyond the end of 'tiny_external.onnx.data'"))
    }
}
