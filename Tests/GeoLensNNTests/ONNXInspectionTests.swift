import Foundation
import Testing
import GeoLensTestSupport
@testable import GeoLensNN

@Suite("ONNX inspection")
struct ONNXInspectionTests {
    @Test("inspection lists inputs, outputs, operators and 4-D layers in graph order", arguments: ONNXModelFixture.names)
    func inspectsFixture(name: String) throws {
        let fixture = try ONNXModelFixture.load(name)
        let model = try ONNXModel.load(ONNXFixtures.url(fixture.model))
        let inspection = try ONNXInspection(model: model)
        #expect(inspection.inputShapes == [fixture.inputName: [1, fixture.bands, 256, 256]])
        #expect(inspection.parameterCount == model.graph.parameterCount)
        #expect(inspection.operatorCounts.reduce(0) { $0 + $1.count } == model.graph.nodes.count)
        #expect(inspection.operatorCounts.contains { $0.opType == "Conv" })
        #expect(inspection.layers.count > 5)
        #expect(inspection.layers.allSatisfy { $0.shape.count == 4 && $0.shape[0] == 1 })
        #expect(inspection.layers.allSatisfy { ONNXInspection.layerOperators.contains($0.opType) })
        // Graph order: the first layer is the stem convolution (or its padding-free activation),
        // and the logits are produced by the last convolution, at full resolution.
        #expect(inspection.layers.first?.shape[2] ?? 0 <= 256)
        let order = model.graph.nodes.map(\.name)
        let positions = inspection.layers.compactMap { layer in order.firstIndex(of: layer.node) }
        #expect(positions == positions.sorted())
        #expect(inspection.layers.contains { $0.shape == [1, fixture.classes, 256, 256] })
        // Shape-subgraph nodes (e.g. Concat of int64 sizes) are never offered.
        let names = Set(inspection.layers.map(\.name))
        for tensor in fixture.tensorShapes.keys where names.contains(tensor) {
            #expect(fixture.tensorShapes[tensor]?.count == 4)
        }
        let text = inspection.description
        #expect(text.contains("inputs:\n  image: float32 [batch, \(fixture.bands), height, width]"))
        #expect(text.contains("parameters: \(model.graph.parameterCount)"))
        #expect(text.contains("ai.onnx v\(fixture.opset)"))
    }

    @Test("layers use the input shape given")
    func givenShape() throws {
        let model = try ONNXModel.load(ONNXFixtures.url("unet_resnet18_op13.onnx"))
        let inspection = try ONNXInspection(model: model, inputShapes: ["image": [2, 4, 64, 32]])
        let conv = try #require(inspection.layers.first { $0.opType == "Conv" })
        #expect(conv.shape == [2, 64, 32, 16])
        #expect(inspection.layers.last?.shape == [2, 3, 64, 32])
    }
}
