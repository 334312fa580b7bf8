import Foundation
import GeoLensTestSupport
@testable import GeoLensNN

/// The smp models exported by scripts/onnx/export_models.py, with what onnxruntime produced.
struct ONNXModelFixture: Decodable {
    let model: String
    let opset: Int
    let bands: Int
    let classes: Int
    let inputName: String
    let outputName: String
    let input: ReferenceTensor
    let output: ReferenceTensor
    /// onnxruntime's shape of every tensor for the 1 x bands x 64 x 64 input and a 96 x 64 one.
    let tensorShapes: [String: [Int]]
    let tensorShapesTall: [String: [Int]]

    static let names = [
        "unet_resnet18_op13", "unet_resnet34_op17", "unet_tf_efficientnet_b0_op13",
        "unetplusplus_resnet18_op17", "deeplabv3plus_resnet34_op17", "fpn_mobilenet_v2_op13",
    ]

    static func load(_ name: String) throws -> ONNXModelFixture {
        try JSONDecoder().decode(ONNXModelFixture.self, from: Data(contentsOf: ONNXFixtures.url("\(name).json")))
    }
}

enum ONNXFixtures {
    static func url(_ file: String) -> URL { Fixtures.url("fixtures/onnx/\(file)") }

    /// A fresh temporary folder for files a test writes.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("geolens-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `model` to a temporary file and returns its URL.
    static func write(_ model: Onnx_ModelProto) throws -> URL {
        let url = try temporaryFolder().appendingPathComponent("model.onnx")
        try (model.serializedData() as Data).write(to: url)
        return url
    }

    /// A one-node Relu model with the given default-domain opset and node domain.
    static func reluModel(opset: Int64, domain: String = "", opType: String = "Relu") -> Onnx_ModelProto {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opsetImport = Onnx_OperatorSetIdProto()
        opsetImport.domain = ""
        opsetImport.version = opset
        model.opsetImport = [opsetImport]
        if !domain.isEmpty {
            var custom = Onnx_OperatorSetIdProto()
            custom.domain = domain
            custom.version = 1
            model.opsetImport.append(custom)
        }
        var node = Onnx_NodeProto()
        node.name = "act"
        node.opType = opType
        node.domain = domain
        node.input = ["x"]
        node.output = ["y"]
        var graph = Onnx_GraphProto()
        graph.node = [node]
        var x = Onnx_ValueInfoProto()
        x.name = "x"
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = 1
        var dim = Onnx_TensorShapeProto.Dimension()
        dim.dimValue = 4
        tensorType.shape.dim = [dim]
        x.type.tensorType = tensorType
        graph.input = [x]
        var y = Onnx_ValueInfoProto()
        y.name = "y"
        graph.output = [y]
        model.graph = graph
        return model
    }
}
