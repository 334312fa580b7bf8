import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// GradCAM and GradCAM++ maps against pytorch-grad-cam 1.5 (SemanticSegmentationTarget, same layer).
@Suite struct CAMParityTests {
    @Test(arguments: ExplainReference.cases(kind: "cam").filter { !$0.name.hasPrefix("onnx-") }.map(\.name))
    func builtInModelMatchesPytorchGradCAM(_ name: String) throws {
        let reference = try #require(ExplainReference.cases.first { $0.name == name })
        let model = try ExplainReference.model(reference.model)
        let method = try #require(CAMMethod(rawValue: reference.method))
        let explainer = CAMExplainer(model: model, method: method, layer: reference.layer)
        let result = try explainer.explain(reference.input.tensor, targets: [reference.target])[0]
        let expected = try #require(reference.output)
        let worst = ExplainReference.maxAbsDifference(result.map, expected.data)
        #expect(worst <= 1e-4, "\(name): max abs difference \(worst) against pytorch-grad-cam")
    }

    @Test func onnxImportedModelMatchesPytorchGradCAM() throws {
        let onnxCases = ExplainReference.cases(kind: "cam", prefix: "onnx-")
        try #require(onnxCases.count == 4)
        // ONNX graphs are part of every build: a fixture that cannot be loaded fails the test.
        let model = try ExplainReference.model(try #require(onnxCases.first).model)
        for reference in onnxCases {
            let method = try #require(CAMMethod(rawValue: reference.method))
            let result = try CAMExplainer(model: model, method: method, layer: reference.layer)
                .explain(reference.input.tensor, targets: [reference.target])[0]
            let worst = ExplainReference.maxAbsDifference(result.map, try #require(reference.output).data)
            #expect(worst <= 1e-4, "\(reference.name): max abs difference \(worst) against pytorch-grad-cam")
        }
    }

    @Test func predictedMaskMatchesTheReferenceArgmax() throws {
        let reference = try #require(ExplainReference.cases.first { $0.name == "unet-gradcam-c1" })
        let model = try ExplainReference.model(reference.model)
        let logits = GradientMode.withoutRecording { model(reference.input.tensor) }
        let target = try SegmentationTarget.make(region: .predicted, classIndex: 1, prediction: predictedClasses(logits),
                                                 labels: nil, height: 32, width: 32)
        // The reference case's mask for class 1 is PyTorch's argmax mask.
        #expect(target.mask == reference.mask.data)
    }

    @Test func severalClassesShareOneForwardPassAndDiffer() throws {
        let references = ExplainReference.cases.filter { $0.name == "unet-gradcam-c0" || $0.name == "unet-gradcam-c1" }
        try #require(references.count == 2)
        let model = try ExplainReference.model(references[0].model)
        let results = try CAMExplainer(model: model, method: .gradcam, layer: "down3")
            .explain(references[0].input.tensor, targets: references.map(\.target))
        for (result, reference) in zip(results, references) {
            #expect(ExplainReference.maxAbsDifference(result.map, try #require(reference.output).data) <= 1e-4)
        }
        #expect(ExplainReference.maxAbsDifference(results[0].map, results[1].map) > 1e-2)
    }

    @Test func unknownLayerIsAnErrorNamingTheLayer() throws {
        let model = try ExplainReference.model("fixtures/models/unet_in4_c2.safetensors")
        let target = SegmentationTarget(classIndex: 0, height: 16, width: 16, mask: [Float](repeating: 1, count: 256))
        #expect {
            _ = try CAMExplainer(model: model, method: .gradcam, layer: "down9").explain(Tensor(zeros: [1, 4, 16, 16]), targets: [target])
        } throws: { error in
            "\(error)".contains("down9") && "\(error)".contains("down3")
        }
    }
}
