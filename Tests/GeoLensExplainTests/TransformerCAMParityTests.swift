import Foundation
import Testing
import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport

/// GradCAM and GradCAM++ on token layers of the ONNX transformer fixtures against pytorch-grad-cam
/// with its ViT/Swin `reshape_transform` (fixtures/reference/explain/transformers.json, from
/// scripts/reference/explain_transformers.py).
@Suite("CAM on transformer layers")
struct TransformerCAMParityTests {
    private struct File: Decodable { let cases: [ExplainReferenceCase] }

    nonisolated(unsafe) static let cases: [ExplainReferenceCase] = {
        let url = Fixtures.url("fixtures/reference/explain/transformers.json")
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data) else {
            fatalError("cannot read \(url.path): regenerate with scripts/reference/explain_transformers.py")
        }
        return file.cases
    }()

    @Test("maps match pytorch-grad-cam within 1e-4", arguments: cases.map(\.name))
    func matchesPytorchGradCAM(_ name: String) throws {
        let reference = try #require(Self.cases.first { $0.name == name })
        let model = try ExplainReference.model(reference.model)
        let method = try #require(CAMMethod(rawValue: reference.method))
        let explainer = CAMExplainer(model: model, method: method, layer: reference.layer)
        let result = try explainer.explain(reference.input.tensor, targets: [reference.target])[0]
        let worst = ExplainReference.maxAbsDifference(result.map, try #require(reference.output).data)
        #expect(worst <= 1e-4, "\(name): max abs difference \(worst) against pytorch-grad-cam")
        #expect(result.map.contains { $0 > 0.5 })
    }

    @Test("a layer named by its module path gives the same map as its tensor name")
    func modulePathLayer() throws {
        let reference = try #require(Self.cases.first { $0.name.hasPrefix("swin_tiny-gradcam-") })
        let model = try ExplainReference.model(reference.model)
        let byTensor = try CAMExplainer(model: model, method: .gradcam, layer: reference.layer)
            .explain(reference.input.tensor, targets: [reference.target])[0]
        let byModule = try CAMExplainer(model: model, method: .gradcam, layer: "layers.1.blocks.1.norm2")
            .explain(reference.input.tensor, targets: [reference.target])[0]
        #expect(byModule.layer == reference.layer)
        #expect(byModule.map == byTensor.map)
    }

    @Test("the token grid drops class and register tokens and follows the input's shape")
    func tokenGrid() throws {
        #expect(CAMFeatureGrid.grid(tokens: 18, height: 64, width: 64)! == (2, 4, 4))
        #expect(CAMFeatureGrid.grid(tokens: 197, height: 224, width: 224)! == (1, 14, 14))
        #expect(CAMFeatureGrid.grid(tokens: 64, height: 64, width: 64)! == (0, 8, 8))
        #expect(CAMFeatureGrid.grid(tokens: 8, height: 64, width: 32)! == (0, 4, 2))
        #expect(CAMFeatureGrid.grid(tokens: 1000, height: 7, width: 7) == nil)
        let error = #expect(throws: ExplainError.self) {
            try CAMFeatureGrid.channelsFirst(Tensor(zeros: [1, 1000, 4]), layout: .tokens, layer: "t", height: 7, width: 7)
        }
        #expect(error?.description.contains("1000 tokens") == true)
    }
}
