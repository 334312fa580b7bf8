import Foundation
import Testing
import GeoLensTensor
@testable import GeoLensNN

@Suite("ONNX loading")
struct ONNXLoadingTests {
    @Test("every fixture loads with its opset, inputs, outputs and parameters", arguments: ONNXModelFixture.names)
    func loadsFixture(name: String) throws {
        let fixture = try ONNXModelFixture.load(name)
        let model = try ONNXModel.load(ONNXFixtures.url(fixture.model))
        #expect(model.opsetVersion == fixture.opset)
        #expect(model.producer == "pytorch")
        let input = try #require(model.graph.inputs.first)
        #expect(model.graph.inputs.count == 1)
        #expect(input.name == fixture.inputName)
        #expect(input.elementType == .float)
        #expect(input.shape == [.symbolic("batch"), .fixed(fixture.bands), .symbolic("height"), .symbolic("width")])
        #expect(model.graph.outputs.map(\.name) == [fixture.outputName])
        #expect(model.graph.parameterCount > 10_000)
        // Every initializer is decoded: float ones as tensors of their declared size.
        for (name, value) in model.graph.initializers where value.elementType.isFloatingPoint {
            #expect(value.floatTensor?.count == value.count, "initializer \(name)")
        }
    }

    @Test("float16 initializers decode to the float32 values onnxruntime computes with")
    func float16Initializers() throws {
        let model = try ONNXModel.load(ONNXFixtures.url("unet_resnet34_op17.onnx"))
        let halves = model.graph.initializers.filter { $0.value.elementType == .float16 }
        #expect(halves.count > 5)
        for (_, value) in halves {
            let scalars = try #require(value.floatTensor).scalars
            #expect(scalars.allSatisfy { $0.isFinite })
            #expect(scalars.contains { $0 != 0 })
        }
        // Values numpy gives for the stem weight (float16 -> float32 is exact).
        let stem = try #require(model.graph.initializers["onnx::Conv_325_fp16"])
        #expect(stem.shape == [64, 13, 7, 7])
        #expect(Array(try #require(stem.floatTensor).scalars.prefix(4)) == [-0.0084381103515625, -0.01491546630859375, -0.007381439208984375, 0.00661468505859375])
        // The Cast to float is folded into a float32 constant under the original name.
        let plan = try model.plan(for: ["image": [1, 13, 64, 64]])
        #expect(plan.constants["onnx::Conv_325"]?.floatTensor?.scalars == stem.floatTensor?.scalars)
        #expect(plan.constants["onnx::Conv_325"]?.elementType == .float)
        #expect(ONNXRawTensorBytes.float(fromHalf: 0x3C00) == 1)
        #expect(ONNXRawTensorBytes.float(fromHalf: 0xC000) == -2)
        #expect(ONNXRawTensorBytes.float(fromHalf: 0x7BFF) == 65504)
        #expect(ONNXRawTensorBytes.float(fromHalf: 0x0001) == 0x1p-24)
        #expect(ONNXRawTensorBytes.float(fromHalf: 0x3555) == 0.333251953125)
        #expect(ONNXRawTensorBytes.float(fromHalf: 0xFC00) == -.infinity)
        #expect(ONNXRawTensorBytes.float(fromHalf: 0x7E00).isNaN)
    }

    @Test("external data is read from the .onnx.data file beside the model")
    func externalData() throws {
        struct Record: Decodable { let initializerShapes: [String: [Int]]; let firstWeightValues: [Float] }
        let record = try JSONDecoder().decode(Record.self, from: Data(contentsOf: ONNXFixtures.url("tiny_external.json")))
        let model = try ONNXModel.load(ONNXFixtures.url("tiny_external.onnx"))
        #expect(model.graph.initializers.mapValues(\.shape) == record.initializerShapes)
        let first = try #require(model.graph.initializers["onnx::Conv_15"]?.floatTensor)
        // The exporter folded BatchNorm into this weight, so compare only the layout: shape and non-zero values.
        #expect(first.shape == [8, 4, 3, 3])
        #expect(first.scalars.prefix(8).allSatisfy { $0 != 0 })
        let bias = try #require(model.graph.initializers["3.weight"]?.floatTensor)
        #expect(bias.shape == [2, 8, 1, 1])
        #expect(record.firstWeightValues.count == 8)
    }

    @Test("a missing or truncated external data file is a clear error")
    func externalDataErrors() throws {
        let folder = try ONNXFixtures.temporaryFolder()
        let model = folder.appendingPathComponent("tiny_external.onnx")
        try FileManager.default.copyItem(at: ONNXFixtures.url("tiny_external.onnx"), to: model)
        let missing = try #require(throws: ONNXError.self) { try ONNXModel.load(model) }
        #expect(missing.code == .externalData)
        #expect(missing.message.contains("tiny_external.onnx.data"))
        #expect(missing.message.contains("does not exist"))

        let data = try Data(contentsOf: ONNXFixtures.url("tiny_external.onnx.data"))
        try data.prefix(data.count / 2).write(to: folder.appendingPathComponent("tiny_external.onnx.data"))
        let short = try #require(throws: ONNXError.self) { try ONNXModel.load(model) }
        #expect(short.code == .externalData)
        #expect(short.message.contains("beyond the end"))
    }

    @Test("truncated, corrupt, empty and missing files give a clear error", arguments: [0.5, 0.9, 0.01])
    func truncatedFile(fraction: Double) throws {
        let bytes = try Data(contentsOf: ONNXFixtures.url("unet_resnet18_op13.onnx"))
        let url = try ONNXFixtures.temporaryFolder().appendingPathComponent("cut.onnx")
        try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: url)
        let error = try #require(throws: ONNXError.self) { try ONNXModel.load(url) }
        #expect(error.code == .malformedModel)
        #expect(error.message.contains("cut.onnx"))
        #expect(error.message.contains("truncated"))
    }

    @Test("garbage, empty and missing files are refused")
    func garbageFiles() throws {
        let folder = try ONNXFixtures.temporaryFolder()
        var generator = SeededGenerator(seed: 3)
        let garbage = Data((0 ..< 4096).map { _ in UInt8.random(in: 0 ... 255, using: &generator) })
        for (name, bytes) in [("garbage.onnx", garbage), ("empty.onnx", Data()), ("text.onnx", Data("not a model".utf8))] {
            let url = folder.appendingPathComponent(name)
            try bytes.write(to: url)
            let error = try #require(throws: ONNXError.self) { try ONNXModel.load(url) }
            #expect(error.code == .malformedModel, "\(name): \(error)")
        }
        let missing = try #require(throws: ONNXError.self) { try ONNXModel.load(folder.appendingPathComponent("absent.onnx")) }
        #expect(missing.code == .unreadableFile)
    }
}
