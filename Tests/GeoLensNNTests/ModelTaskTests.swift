import Foundation
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// The model card's `task` and `threshold` keys and the [N, K] outputs of ONNX classifiers.
@Suite struct ModelTaskTests {
    func decode(_ json: String) throws -> ModelCard {
        let card = try JSONDecoder().decode(ModelCard.self, from: Data(json.utf8))
        try card.validate()
        return card
    }

    @Test func segmentationIsTheDefaultAndCardsEncodeAsBefore() throws {
        let card = try decode(#"{"architecture": "unet", "classes": ["a", "b"]}"#)
        #expect(card.task == .segmentation && card.threshold == nil && card.decisionThreshold == .uniform(0.5))
        let encoded = String(decoding: try JSONEncoder().encode(card), as: UTF8.self)
        #expect(!encoded.contains("task") && !encoded.contains("threshold"))
        #expect(try JSONDecoder().decode(ModelCard.self, from: Data(encoded.utf8)) == card)
    }

    @Test func multilabelThresholdsDecodeAsANumberOrAList() throws {
        let uniform = try decode(#"{"architecture": "onnx", "task": "multilabel", "classes": ["a", "b"], "threshold": 0.3}"#)
        #expect(uniform.decisionThreshold.values(classCount: 2) == [0.3, 0.3])
        let list = try decode(#"{"architecture": "onnx", "task": "multilabel", "classes": ["a", "b"], "threshold": [0.2, 0.7]}"#)
        #expect(list.decisionThreshold.values(classCount: 2) == [0.2, 0.7])
        let encoded = try JSONEncoder().encode(list)
        #expect(try JSONDecoder().decode(ModelCard.self, from: encoded) == list)
    }

    @Test("Bad task keys name the key", arguments: [
        (#"{"architecture": "onnx", "task": "detection", "classes": ["a"]}"#, "task"),
        (#"{"architecture": "onnx", "task": "classification"}"#, "'classes' is required for task 'classification'"),
        (#"{"architecture": "onnx", "task": "classification", "classes": ["a"], "threshold": 0.5}"#,
         "'threshold' applies only to \"task\": \"multilabel\""),
        (#"{"architecture": "onnx", "task": "multilabel", "classes": ["a", "b"], "threshold": [0.5]}"#,
         "'threshold' lists 1 values for 2 classes"),
        (#"{"architecture": "onnx", "task": "multilabel", "classes": ["a"], "threshold": 1.5}"#, "holds 1.5"),
        (#"{"architecture": "onnx", "task": "multilabel", "classes": ["a"], "threshold": "high"}"#, "threshold"),
        (#"{"architecture": "onnx", "tsak": "multilabel", "classes": ["a"]}"#, "did you mean 'task'"),
    ])
    func badKeys(_ json: String, _ message: String) throws {
        let dir = try GeoLensCLI.temporaryDirectory("card")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("m.json")
        try json.write(to: url, atomically: true, encoding: .utf8)
        let error = #expect(throws: ModelCardError.self) { try ModelCard.load(from: url) }
        #expect(error?.message.contains(url.path) == true && error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func onnxClassifiersLoadWithTileScores() throws {
        let url = Fixtures.url("fixtures/classification/tile_classifier.onnx")
        let loaded = try ModelLoader.load(checkpoint: url)
        #expect(loaded.card.task == .classification)
        #expect(loaded.model.outputLayout == .tileScores && loaded.model.classCount == 3 && loaded.model.inChannels == 4)
        #expect(loaded.classNames == ["water", "vegetation", "cloud"])
        // Any tile size: the graph pools globally.
        for size in [16, 23] {
            let logits = loaded.model(Tensor(shape: [2, 4, size, size], repeating: 0.1))
            #expect(logits.shape == [2, 3])
        }
    }

    @Test func segmentationCardsRefuseClassifiersAndTheOtherWayRound() throws {
        let dir = try GeoLensCLI.temporaryDirectory("task")
        defer { try? FileManager.default.removeItem(at: dir) }
        let card = dir.appendingPathComponent("card.json")
        try #"{"architecture": "onnx", "classes": ["a", "b", "c"]}"#.write(to: card, atomically: true, encoding: .utf8)
        let error = #expect(throws: ModelCardError.self) {
            try ModelLoader.load(checkpoint: Fixtures.url("fixtures/classification/tile_classifier.onnx"), card: card)
        }
        #expect(error?.message.contains("task is 'segmentation' (the default)") == true)

        let unet = Fixtures.url("fixtures/models/cloud_unet_a.safetensors")
        var segmentation = try ModelCard.load(from: Fixtures.url("fixtures/models/cloud_unet_a.json"))
        segmentation.task = .classification
        let tileCard = dir.appendingPathComponent("unet.json")
        try JSONEncoder().encode(segmentation).write(to: tileCard)
        let refused = #expect(throws: ModelCardError.self) { try ModelLoader.load(checkpoint: unet, card: tileCard) }
        #expect(refused?.message.contains("task 'classification' needs a model with N x classes outputs") == true)
    }

    /// Classifiers as torch.onnx.export writes them (`scripts/fixtures/export_torchvision_classifier.py`):
    /// torchvision EfficientNet-B0 at width and depth 0.25 (SiLU, squeeze-excitation) and a two-stage
    /// ConvNeXt (LayerNormalization, MatMul, GELU). Each loads, matches PyTorch's logits, and its
    /// default CAM layer is a spatial map the forward pass produces.
    @Test(arguments: ["tile_efficientnet_tiny", "tile_convnext_tiny"])
    func exportedTorchvisionClassifierMatchesPyTorch(_ name: String) throws {
        struct Reference: Decodable { let logits: [Float] }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf:
            Fixtures.url("fixtures/classification/\(name).logits.json")))
        let loaded = try ModelLoader.load(checkpoint: Fixtures.url("fixtures/classification/\(name).onnx"))
        #expect(loaded.model.outputLayout == .tileScores && loaded.model.classCount == 5 && loaded.model.inChannels == 3)
        let input = Tensor(shape: [1, 3, 64, 64], scalars: (0..<(3 * 64 * 64)).map { Float(($0 * 37) % 101) / 128 })
        let logits = loaded.model(input).scalars
        let scale = reference.logits.map(abs).max()!
        let worst = zip(logits, reference.logits).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-5 * max(1, scale), "\(name): max abs difference \(worst) against PyTorch")
        let layer = loaded.model.defaultCAMLayer
        let context = ForwardContext(mode: .evaluation, captures: [layer: .leaf], parameterGradients: false)
        _ = loaded.model(input, context: context)
        let captured = try #require(context.captured[layer], "default CAM layer \(layer)")
        #expect(captured.rank == 4 && captured.shape[2] * captured.shape[3] > 1)
    }
}

/// The built-in Siamese U-Net: a shared encoder, fused by |a - b| or concatenation.
@Suite struct SiameseUNetTests {
    func card(_ fusion: String) -> ModelCard {
        ModelCard(architecture: "siamese-unet", inChannels: 8, classes: ["no-change", "change"],
                  architectureOptions: ["base_channels": .number(4), "depth": .number(2), "fusion": .string(fusion)])
    }

    @Test func absoluteDifferenceFusionIsSymmetricInTheDatesAndConcatenationIsNot() throws {
        var generator = SeededGenerator(seed: 3)
        let a = Tensor(shape: [1, 4, 16, 16], scalars: (0..<1024).map { _ in Float.random(in: -1...1, using: &generator) })
        let b = Tensor(shape: [1, 4, 16, 16], scalars: (0..<1024).map { _ in Float.random(in: -1...1, using: &generator) })
        let ab = Tensor.concatenate([a, b], alongAxis: 1), ba = Tensor.concatenate([b, a], alongAxis: 1)
        let diff = try ModelRegistry.build(card("absdiff"), seed: 1)
        let y1 = GradientMode.withoutRecording { diff(ab) }, y2 = GradientMode.withoutRecording { diff(ba) }
        #expect(y1.shape == [1, 2, 16, 16])
        #expect(zip(y1.scalars, y2.scalars).allSatisfy { abs($0 - $1) < 1e-5 })
        let concat = try ModelRegistry.build(card("concat"), seed: 1)
        let z1 = GradientMode.withoutRecording { concat(ab) }, z2 = GradientMode.withoutRecording { concat(ba) }
        #expect(zip(z1.scalars, z2.scalars).contains { abs($0 - $1) > 1e-4 })
        // The encoder is shared: one set of encoder weights for both dates.
        #expect(diff.namedParameters().first { $0.name.hasPrefix("inc.") }?.parameter.value.shape == [4, 4, 3, 3])
        let odd = #expect(throws: ModelCardError.self) {
            var card = card("absdiff"); card.inChannels = 7; return try ModelRegistry.build(card)
        }
        #expect(odd?.message.contains("even") == true)
        let bad = #expect(throws: ModelCardError.self) { try ModelRegistry.build(card("sum")) }
        #expect(bad?.message.contains("absdiff or concat") == true)
    }
}
