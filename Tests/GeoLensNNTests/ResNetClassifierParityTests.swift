import Foundation
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// The built-in `resnet18|34|50` classifiers against torchvision (scripts/reference/torchvision_resnet_classifier.py):
/// state_dict names and shapes, and logits of the same formula weights saved as safetensors and
/// loaded through the model loader with a classification card.
@Suite("Built-in ResNet classifiers match torchvision")
struct ResNetClassifierParityTests {
    struct Reference: Decodable {
        let inChannels: Int
        let classes: Int
        let inputShape: [Int]
        let keys: [String: [[KeyOrShape]]]
        let logits: [String: ReferenceTensor]
        enum CodingKeys: String, CodingKey {
            case inChannels = "in_channels", classes, inputShape = "input_shape", keys, logits
        }
    }
    enum KeyOrShape: Decodable {
        case name(String), shape([Int])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .name(s) } else { self = .shape(try c.decode([Int].self)) }
        }
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Fixtures.url("fixtures/reference/models/resnet_classifier.json")))
    }

    static func keys(_ reference: Reference, _ variant: String) throws -> [(String, [Int])] {
        try #require(reference.keys[variant]).map { pair in
            guard case .name(let n) = pair[0], case .shape(let s) = pair[1] else { throw CocoaError(.coderReadCorrupt) }
            return (n, s)
        }
    }

    static func card(_ variant: String, _ reference: Reference) -> ModelCard {
        ModelCard(architecture: variant, inChannels: reference.inChannels,
                  classes: (0..<reference.classes).map { "class_\($0)" }, task: .classification)
    }

    @Test("Parameter names and shapes equal torchvision's state_dict", arguments: ["resnet18", "resnet34", "resnet50"])
    func keyNames(variant: String) throws {
        let reference = try Self.reference()
        let expected = try Self.keys(reference, variant)
        let model = try ModelRegistry.build(Self.card(variant, reference))
        let ours = model.namedParameters().map { ($0.name, $0.parameter.shape) }
        #expect(ours.map(\.0) == expected.map(\.0))
        for ((name, shape), (_, theirs)) in zip(ours, expected) { #expect(shape == theirs, "\(name)") }
        #expect(model.outputLayout == .tileScores)
    }

    @Test("Logits of a saved checkpoint equal torchvision's within 1e-4", arguments: ["resnet18", "resnet34", "resnet50"])
    func logits(variant: String) throws {
        let reference = try Self.reference()
        let card = Self.card(variant, reference)
        let model = try ModelRegistry.build(card, seed: 7)
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.parameter) })
        var k = 0
        for (name, shape) in try Self.keys(reference, variant) where !name.hasSuffix("num_batches_tracked") {
            try #require(parameters[name]).value = Tensor(shape: shape, scalars: FormulaWeights.values(name: name, shape: shape, k: k))
            k += 1
        }
        let directory = try GeoLensCLI.temporaryDirectory("resnet-classifier")
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("\(variant).safetensors")
        try SafetensorsWriter.write(model.stateDict(), to: checkpoint)
        try JSONEncoder().encode(card).write(to: directory.appendingPathComponent("\(variant).safetensors.json"))
        let loaded = try ModelLoader.load(checkpoint: checkpoint)
        #expect(loaded.keyReport?.isExact == true)

        let count = reference.inputShape.reduce(1, *)
        let x = Tensor(shape: reference.inputShape, scalars: FormulaWeights.input(count: count))
        let expected = try #require(reference.logits[variant])
        let y = loaded.model(x)
        let error = try #require(referenceError(y, expected))
        let worst: Float = error.worst
        #expect(worst <= 1e-4, "\(variant): max abs error \(worst)")
    }

    @Test("The width option scales every stage and keeps torchvision's names")
    func width() throws {
        let reference = try Self.reference()
        var card = Self.card("resnet50", reference)
        card.architectureOptions = ["width": .number(8)]
        let model = try ModelRegistry.build(card)
        let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.parameter.shape) })
        #expect(Set(shapes.keys) == Set(try Self.keys(reference, "resnet50").map(\.0)))
        #expect(shapes["conv1.weight"] == [8, 4, 7, 7] && shapes["layer4.2.conv3.weight"] == [256, 64, 1, 1])
        #expect(shapes["fc.weight"] == [5, 256])
        let y = model(Tensor(shape: [2, 4, 32, 32], repeating: 0.5))
        #expect(y.shape == [2, 5])
        card.architectureOptions = ["depth": .number(3)]
        #expect(throws: ModelCardError.self) { try ModelRegistry.build(card) }
    }

    @Test("A classifier card with a segmentation task is refused by the loader")
    func segmentationTaskRefused() throws {
        let reference = try Self.reference()
        var card = Self.card("resnet18", reference)
        card.task = .segmentation
        let model = try ModelRegistry.build(card)
        let directory = try GeoLensCLI.temporaryDirectory("resnet-classifier")
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("m.safetensors")
        try SafetensorsWriter.write(model.stateDict(), to: checkpoint)
        try JSONEncoder().encode(card).write(to: directory.appendingPathComponent("m.safetensors.json"))
        #expect(throws: ModelCardError.self) { try ModelLoader.load(checkpoint: checkpoint) }
    }
}
