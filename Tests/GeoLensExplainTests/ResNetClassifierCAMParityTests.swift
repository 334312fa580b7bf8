import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// CAM maps of the built-in resnet18 classifier for pytorch-grad-cam's `ClassifierOutputTarget`,
/// against torchvision's resnet18 with the same weights
/// (`scripts/reference/explain_resnet_classifier_cam.py`): the checkpoint is written as safetensors
/// and loaded through the model loader (batch norms folded), as `geolens explain` loads it.
@Suite struct ResNetClassifierCAMParityTests {
    struct Case: Decodable { let layer: String, method: String, `class`: Int, map: [Float] }
    struct File: Decodable {
        let inputShape: [Int]; let cases: [Case]
        enum CodingKeys: String, CodingKey { case inputShape = "input_shape", cases }
    }
    struct Keys: Decodable {
        let keys: [String: [[KeyOrShape]]]
        enum KeyOrShape: Decodable {
            case name(String), shape([Int])
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .name(s) } else { self = .shape(try c.decode([Int].self)) }
            }
        }
    }

    /// resnet18 (4 bands, 5 classes) with the formula weights, saved and loaded back.
    static func model(in directory: URL) throws -> any SegmentationModel {
        let card = ModelCard(architecture: "resnet18", inChannels: 4, classes: (0..<5).map { "class_\($0)" }, task: .classification)
        let model = try ModelRegistry.build(card, seed: 1)
        let keys = try JSONDecoder().decode(Keys.self, from: Data(contentsOf: Fixtures.url("fixtures/reference/models/resnet_classifier.json")))
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.parameter) })
        var k = 0
        for pair in try #require(keys.keys["resnet18"]) {
            guard case .name(let name) = pair[0], case .shape(let shape) = pair[1] else { throw CocoaError(.coderReadCorrupt) }
            if name.hasSuffix("num_batches_tracked") { continue }
            try #require(parameters[name]).value = Tensor(shape: shape, scalars: FormulaWeights.values(name: name, shape: shape, k: k))
            k += 1
        }
        let checkpoint = directory.appendingPathComponent("resnet18.safetensors")
        try SafetensorsWriter.write(model.stateDict(), to: checkpoint)
        try JSONEncoder().encode(card).write(to: directory.appendingPathComponent("resnet18.safetensors.json"))
        return try ModelLoader.load(checkpoint: checkpoint).model
    }

    @Test func mapsMatchPytorchGradCAM() throws {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: Fixtures.url("fixtures/reference/explain/resnet_classifier_cam.json")))
        #expect(file.cases.count == 16)
        let directory = try GeoLensCLI.temporaryDirectory("resnet-cam")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try Self.model(in: directory)
        #expect(model.defaultCAMLayer == "layer4")
        let input = Tensor(shape: file.inputShape, scalars: FormulaWeights.input(count: file.inputShape.reduce(1, *)))
        var worst: Float = 0
        for reference in file.cases {
            let method = try #require(CAMMethod(rawValue: reference.method))
            let explainer = CAMExplainer(model: model, method: method, layer: reference.layer)
            let result = try explainer.explain(input, targets: [.classifierOutput(classIndex: reference.class)])[0]
            let difference = ExplainReference.maxAbsDifference(result.map, reference.map)
            worst = max(worst, difference)
            #expect(difference <= 1e-4, "\(reference.layer) \(reference.method) class \(reference.class): max abs difference \(difference)")
        }
        #expect(worst <= 1e-4)
    }
}
