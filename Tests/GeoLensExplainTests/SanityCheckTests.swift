import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import Testing

/// y(x) = x: one input channel, one class, a 1x1 convolution with weight 1 and bias 0.
private final class IdentityPixelModel: SegmentationModel {
    let conv: Conv2d

    init() {
        var generator = SeededGenerator(seed: 0)
        conv = Conv2d(1, 1, kernel: 1, generator: &generator)
        conv.weight.value = Tensor(shape: [1, 1, 1, 1], repeating: 1)
        conv.bias!.value = Tensor(shape: [1], repeating: 0)
    }

    var children: [(name: String, module: any Module)] { [("conv", conv)] }
    var inChannels: Int { 1 }
    var classCount: Int { 1 }
    var camLayers: [String] { ["conv"] }
    var defaultCAMLayer: String { "conv" }

    func forward(_ x: Tensor, context: ForwardContext) -> Tensor { context.apply(conv, "conv", x) }
}

@Suite struct SanityCheckTests {
    @Test func spearmanMatchesHandComputedValues() {
        // Identical and reversed orders.
        #expect(abs(SpearmanCorrelation.rank([1, 2, 3, 4, 5], [10, 20, 30, 40, 50]) - 1) < 1e-12)
        #expect(abs(SpearmanCorrelation.rank([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]) + 1) < 1e-12)
        // No ties: 1 - 6 sum d^2 / (n (n^2 - 1)); ranks b = 2,1,4,3,5 -> sum d^2 = 4 -> 1 - 24/120 = 0.8.
        #expect(abs(SpearmanCorrelation.rank([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) - 0.8) < 1e-12)
        // Ties take the average rank.
        #expect(SpearmanCorrelation.averageRanks([10, 20, 20, 30]) == [1, 2.5, 2.5, 4])
        #expect(SpearmanCorrelation.averageRanks([5, 5, 5]) == [2, 2, 2])
        // a = [1, 2, 2, 3] -> ranks 1, 2.5, 2.5, 4; b = [1, 3, 2, 4] -> ranks 1, 3, 2, 4.
        // Centred (mean 2.5): a -1.5, 0, 0, 1.5; b -1.5, 0.5, -0.5, 1.5 -> 4.5 / sqrt(4.5 * 5) = 0.9486833.
        #expect(abs(SpearmanCorrelation.rank([1, 2, 2, 3], [1, 3, 2, 4]) - 4.5 / (4.5 * 5.0).squareRoot()) < 1e-12)
        // A constant map has no order.
        #expect(SpearmanCorrelation.rank([1, 1, 1], [1, 2, 3]) == 0)
    }

    @Test func deletionAUCOfTheTrueOrderIsLowerThanOfARandomMap() {
        let model = IdentityPixelModel()
        let (height, width) = (8, 8)
        var generator = SeededGenerator(seed: 3)
        // A few bright pixels carry most of y = sum(x); the baseline is zero.
        var x = (0..<height * width).map { _ in Float(Double(generator.next() >> 11) / Double(1 << 53)) * 0.1 }
        for i in [3, 17, 29, 40, 51, 62] { x[i] = 5 }
        let input = Tensor(shape: [1, 1, height, width], scalars: x)
        let baseline = Tensor(shape: [1, 1, height, width], repeating: 0)
        let target = SegmentationTarget(classIndex: 0, height: height, width: width,
                                        mask: [Float](repeating: 1, count: height * width))
        let truth = x  // x * (x - 0): the exact attribution of a linear model.
        let random = (0..<height * width).map { _ in Float(Double(generator.next() >> 11) / Double(1 << 53)) }
        let good = DeletionInsertion.auc(model: model, input: input, baseline: baseline, map: truth, target: target, batchSize: 4)
        let bad = DeletionInsertion.auc(model: model, input: input, baseline: baseline, map: random, target: target, batchSize: 4)
        #expect(good.steps == 10 && good.deletionCurve.count == 11 && good.insertionCurve.count == 11)
        let total = Double(x.reduce(0, +))
        #expect(abs(good.deletionCurve[0] - total) < 1e-3 && abs(good.deletionCurve[10]) < 1e-6)
        #expect(abs(good.insertionCurve[0]) < 1e-6 && abs(good.insertionCurve[10] - total) < 1e-3)
        #expect(good.deletionAUC < bad.deletionAUC)
        #expect(good.insertionAUC > bad.insertionAUC)
        #expect(abs(good.deletionAUC - good.deletionCurve.reduce(0, +) / 11) < 1e-9)
    }

    @Test func randomizationRestoresTheWeightsAndDecorrelatesTheMap() throws {
        let model = try ModelRegistry.build(ModelCard(architecture: "unet", inChannels: 3, classes: ["a", "b"],
                                                      architectureOptions: ["base_channels": .number(4), "depth": .number(2)]),
                                            seed: 7)
        model.foldBatchNorms()
        var generator = SeededGenerator(seed: 11)
        let input = Tensor.randomNormal(shape: [1, 3, 16, 16], using: &generator)
        let before = model(input).scalars
        let target = SegmentationTarget(classIndex: 1, height: 16, width: 16, mask: [Float](repeating: 1, count: 256))
        let explainer = CAMExplainer(model: model, method: .gradcamPlusPlus, layer: "inc")
        let original = try explainer.explain(input, targets: [target])[0].map
        let steps = try ModelRandomization.cascade(model: model, original: original, maxSteps: 4, seed: 5) { () throws(ExplainError) in
            try explainer.explain(input, targets: [target])[0].map
        }
        #expect(steps.count == 4)
        let modules = ModelRandomization.parameterizedModules(model)
        let cut = Int((Double(modules.count) / 4).rounded())
        #expect(steps.first?.layer == modules[cut - 1].path, "the first cut randomizes the output-most quarter")
        #expect(modules.first?.path == "outc.conv")
        #expect(steps.last?.layer == modules.last?.path, "the last cut randomizes every parameterized module")
        #expect(try #require(steps.last).spearman < 1)
        #expect(model(input).scalars == before, "the original weights are restored")
        #expect(try explainer.explain(input, targets: [target])[0].map == original)
    }
}
