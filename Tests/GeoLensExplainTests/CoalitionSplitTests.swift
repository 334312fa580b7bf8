import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// The input-convolution split of `CoalitionEvaluator` (conv(x) plus per-feature terms, then the
/// rest of the network) against composing every coalition's input: the same values up to float
/// rounding in the first layer, independent of batch size and thread count.
@Suite struct CoalitionSplitTests {
    static let models = ["fixtures/models/unet_in4_c2.safetensors", "fixtures/models/smp_unet_resnet34_in4_c2.safetensors"]

    /// A pseudo-random 4-band tile and targets for both classes on an irregular mask.
    static func tile(size: Int = 32) -> (input: Tensor, targets: [SegmentationTarget]) {
        var generator = SeededGenerator(seed: 7)
        let input = Tensor.randomNormal(shape: [1, 4, size, size], using: &generator)
        let targets = (0..<2).map { c in
            SegmentationTarget(classIndex: c, height: size, width: size,
                               mask: (0..<size * size).map { ($0 * 7 + c) % 5 < 2 ? 1 : 0 })
        }
        return (input, targets)
    }

    static func values(_ model: any SegmentationModel, _ input: Tensor, _ baseline: Tensor, _ features: [AttributionFeature],
                       _ targets: [SegmentationTarget], batch: Int, split: Bool) throws -> [ShapleyResult] {
        try ExactShapley.explain(model: model, input: input, baseline: baseline, features: features, targets: targets,
                                 batchSize: batch, splitInputConvolution: split)
    }

    @Test(arguments: models)
    func splitMatchesComposedInputs(_ path: String) throws {
        let model = try ExplainReference.model(path)
        let (input, targets) = Self.tile()
        let baseline = try Baseline.tileMean.tensor(for: input)
        // Band groups over the whole tile, the same groups crossed with a 2 x 2 grid, and a
        // feature set that leaves band 3 and some pixels outside every feature (kept from x).
        let groups = [AttributionFeature(name: "a", channels: [0, 2]), AttributionFeature(name: "b", channels: [1]),
                      AttributionFeature(name: "c", channels: [3])]
        let partial = [AttributionFeature(name: "p", channels: [0, 1], spans: [PixelSpan(row: 3, columns: 2..<20)]),
                       AttributionFeature(name: "q", channels: [2], cell: (x: 8, y: 8, width: 16, height: 12))]
        for features in [groups, FeatureGroups.crossed(Array(groups.prefix(2)), gridRows: 2, columns: 2, height: 32, width: 32), partial] {
            let evaluator = CoalitionEvaluator(model: model, input: input, baseline: baseline, features: features, targets: targets)
            #expect(evaluator.splitsInputConvolution, "\(path): the model has an input convolution")
            let split = try Self.values(model, input, baseline, features, targets, batch: 8, split: true)
            let composed = try Self.values(model, input, baseline, features, targets, batch: 8, split: false)
            for (s, c) in zip(split, composed) {
                let scale = max(c.values.map(abs).max() ?? 0, abs(c.fullValue), abs(c.baseValue), 1e-3)
                for (a, b) in zip(s.values, c.values) {
                    #expect(abs(a - b) <= 1e-5 * scale, "\(path), \(features.count) features: phi \(a) split vs \(b) composed (scale \(scale))")
                }
                #expect(abs(s.fullValue - c.fullValue) <= 1e-5 * scale)
                #expect(abs(s.baseValue - c.baseValue) <= 1e-5 * scale)
            }
        }
    }

    @Test func splitValuesAreTheSameBitsForAnyBatchSizeAndThreadCount() throws {
        let model = try ExplainReference.model(Self.models[1])
        let (input, targets) = Self.tile()
        let baseline = try Baseline.zero.tensor(for: input)
        let features = FeatureGroups.perChannel(4)
        let reference = try Parallel.withThreadCount(1) { try Self.values(model, input, baseline, features, targets, batch: 16, split: true) }
        for (threads, batch) in [(2, 3), (2, 8), (1, 5)] {
            let other = try Parallel.withThreadCount(threads) { try Self.values(model, input, baseline, features, targets, batch: batch, split: true) }
            for (a, b) in zip(reference, other) {
                #expect(a.values == b.values, "threads \(threads), batch \(batch)")
                #expect(a.baseValue == b.baseValue && a.fullValue == b.fullValue)
            }
        }
    }

    @Test func overlappingFeaturesComposeInputs() throws {
        let model = try ExplainReference.model(Self.models[0])
        let (input, targets) = Self.tile()
        // Band 1 in both features: the sum of terms would count it twice, so the evaluator composes.
        let features = [AttributionFeature(name: "a", channels: [0, 1]), AttributionFeature(name: "b", channels: [1, 2])]
        let evaluator = CoalitionEvaluator(model: model, input: input, baseline: try Baseline.zero.tensor(for: input),
                                           features: features, targets: targets)
        #expect(!evaluator.splitsInputConvolution)
    }
}
