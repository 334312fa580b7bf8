import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// CAM maps of a tile classifier ([N, K] ONNX outputs) for pytorch-grad-cam 1.5's
/// `ClassifierOutputTarget(c)`: GeoLens's `SegmentationTarget.classifierOutput(classIndex:)`.
/// Reference: `scripts/reference/explain_classifier_cam.py` (the fixture classifier rebuilt in
/// PyTorch with the same weights, CAM layer = the ReLU output).
@Suite struct ClassifierCAMParityTests {
    struct Tile: Decodable { let input: [Float], shape: [Int], logits: [Float] }
    struct Case: Decodable { let tile: String, method: String, `class`: Int, map: [Float] }
    struct File: Decodable { let layer: String; let tiles: [String: Tile]; let cases: [Case] }

    static func load() throws -> File {
        try JSONDecoder().decode(File.self, from: Data(contentsOf: Fixtures.url("fixtures/reference/explain/classifier_cam.json")))
    }

    @Test func mapsMatchPytorchGradCAM() throws {
        let file = try Self.load()
        #expect(file.cases.count == 24)
        let loaded = try ModelLoader.load(checkpoint: Fixtures.url("fixtures/classification/tile_classifier.onnx"))
        #expect(loaded.model.defaultCAMLayer == file.layer, "the default layer of a classifier is its last spatial map")
        var worst: Float = 0
        for reference in file.cases {
            let method = try #require(CAMMethod(rawValue: reference.method))
            let tile = try #require(file.tiles[reference.tile])
            let input = Tensor(shape: tile.shape, scalars: tile.input)
            let explainer = CAMExplainer(model: loaded.model, method: method)
            let pass = try explainer.forward(input)
            let logits = pass.logits.scalars
            #expect(zip(logits, tile.logits).allSatisfy { abs($0 - $1) <= 1e-5 }, "logits of \(reference.tile)")
            let target = SegmentationTarget.classifierOutput(classIndex: reference.class)
            let result = explainer.explain(pass: pass, targets: [target], height: tile.shape[2], width: tile.shape[3])[0]
            let difference = ExplainReference.maxAbsDifference(result.map, reference.map)
            worst = max(worst, difference)
            #expect(difference <= 1e-4, "\(reference.tile) \(reference.method) class \(reference.class): max abs difference \(difference)")
        }
        #expect(worst <= 1e-4)
    }

    @Test func classifierTargetsScoreAndSeedTheClassLogit() {
        let logits = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let target = SegmentationTarget.classifierOutput(classIndex: 1)
        #expect(target.values(of: logits) == [2, 5])
        #expect(target.seed(shape: [2, 3]).scalars == [0, 1, 0, 0, 1, 0])
        #expect(predictedClasses(logits, item: 1) == [2])
    }
}
