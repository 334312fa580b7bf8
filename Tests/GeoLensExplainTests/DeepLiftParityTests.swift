import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// One case of fixtures/reference/explain/deeplift.json (scripts/reference/explain_deeplift.py).
struct DeepLiftReferenceCase: Decodable {
    let name: String
    let kind: String
    let model: String
    let `class`: Int
    let inputs: [ReferenceTensor]
    let references: [[ReferenceTensor]]
    let outputs: [ReferenceTensor]
    let deltas: [Double]
    let mask: ReferenceTensor?
    let fullValue: Double
    let referenceValues: [Double]

    enum CodingKeys: String, CodingKey {
        case name, kind, model, `class`, inputs, references, outputs, deltas, mask
        case fullValue = "full_value", referenceValues = "reference_values"
    }

    var target: SegmentationTarget {
        guard let mask else { return .classifierOutput(classIndex: self.class) }
        return SegmentationTarget(classIndex: self.class, height: mask.shape[0], width: mask.shape[1], mask: mask.data)
    }
}

private struct DeepLiftReferenceFile: Decodable {
    let cases: [DeepLiftReferenceCase]
}

/// DeepLIFT and DeepSHAP against captum's `DeepLift` and `DeepLiftShap` (rescale rule): the
/// built-in U-Net and its ONNX export, an ONNX graph with every listed nonlinearity, a tile
/// classifier, and a model with two named inputs.
@Suite struct DeepLiftParityTests {
    nonisolated(unsafe) static let cases: [DeepLiftReferenceCase] = {
        let url = Fixtures.url("fixtures/reference/explain/deeplift.json")
        guard let data = try? Data(contentsOf: url),
              let file = try? JSONDecoder().decode(DeepLiftReferenceFile.self, from: data) else {
            fatalError("cannot read \(url.path): regenerate with scripts/reference/explain_deeplift.py")
        }
        return file.cases
    }()

    static func reference(_ name: String) throws -> DeepLiftReferenceCase {
        try #require(cases.first { $0.name == name })
    }

    /// Attributions within 1e-4 of captum's (relative to the larger of 1 and the largest value),
    /// f(x) and f(b) within 1e-4, and the same per-reference convergence deltas.
    func check(_ reference: DeepLiftReferenceCase, _ result: DeepLiftResult) {
        #expect(result.attributions.count == reference.outputs.count)
        for (got, expected) in zip(result.attributions, reference.outputs) {
            #expect(got.shape == expected.shape)
            let worst = ExplainReference.maxAbsDifference(got.scalars, expected.data)
            let scale = max(1, expected.data.map(abs).max() ?? 0)
            #expect(worst <= 1e-4 * scale, "\(reference.name): max abs difference \(worst) against captum")
        }
        #expect(abs(result.fullValue - reference.fullValue) <= 1e-4 * max(1, abs(reference.fullValue)))
        for (got, expected) in zip(result.referenceValues, reference.referenceValues) {
            #expect(abs(got - expected) <= 1e-4 * max(1, abs(expected)), "\(reference.name): f(b) \(got) vs \(expected)")
        }
        #expect(result.deltas.count == reference.deltas.count)
        for (got, expected) in zip(result.deltas, reference.deltas) {
            #expect(abs(got - expected) <= 1e-3 * max(1, abs(reference.fullValue)), "\(reference.name): delta \(got) vs captum \(expected)")
        }
        // The summation-to-delta bookkeeping: the residual is the mean delta.
        let meanDelta = result.deltas.reduce(0, +) / Double(result.deltas.count)
        #expect(abs(result.completenessResidual - meanDelta) <= 1e-6 * max(1, abs(result.fullValue)))
    }

    @Test(arguments: cases.filter { !$0.name.hasPrefix("two-") }.map(\.name))
    func singleInputMatchesCaptum(_ name: String) throws {
        let reference = try Self.reference(name)
        let model = try ExplainReference.model(reference.model)
        let input = reference.inputs[0].tensor
        let forward: DeepLift.Forward = { model($0[0], context: ForwardContext(mode: .evaluation, parameterGradients: false)) }
        // Batches of two pairs: DeepSHAP's references run in more than one chunk.
        let result = try DeepLift.attribute(forward: forward, inputs: [input], references: reference.references.map { $0.map(\.tensor) },
                                            targets: [reference.target], batchSize: 4)[0]
        check(reference, result)
    }

    @Test(arguments: ["two-deeplift-c1", "two-deepshap-c1"])
    func twoInputsMatchCaptum(_ name: String) throws {
        let reference = try Self.reference(name)
        let executor = ONNXExecutor(model: try ONNXModel.load(Fixtures.url(reference.model)))
        let forward: DeepLift.Forward = { inputs in
            try executor.run(["image": inputs[0], "dem": inputs[1]], context: ForwardContext(mode: .evaluation))[0]
        }
        let result = try DeepLift.attribute(forward: forward, inputs: reference.inputs.map(\.tensor),
                                            references: reference.references.map { $0.map(\.tensor) },
                                            targets: [reference.target])[0]
        check(reference, result)
        #expect(result.attributions.map(\.shape) == [[1, 4, 16, 16], [1, 1, 16, 16]])
    }

    @Test func explainEqualsAttributeAndDeepSHAPAveragesDeepLIFT() throws {
        let reference = try Self.reference("unet-deepshap-c1")
        let model = try ExplainReference.model(reference.model)
        let input = reference.inputs[0].tensor
        let baselines = reference.references.map { $0[0].tensor }
        let shap = DeepLiftShap.explain(model: model, input: input, baselines: baselines, targets: [reference.target])[0]
        var mean = [Double](repeating: 0, count: input.count)
        var baseValue = 0.0
        for baseline in baselines {
            let single = DeepLift.explain(model: model, input: input, baseline: baseline, targets: [reference.target])[0]
            for i in mean.indices { mean[i] += Double(single.values[i]) / Double(baselines.count) }
            baseValue += single.baseValue / Double(baselines.count)
        }
        let scale = shap.values.map(abs).max() ?? 1
        #expect(ExplainReference.maxAbsDifference(shap.values, mean.map(Float.init)) <= 1e-5 * scale)
        #expect(abs(shap.baseValue - baseValue) < 1e-6 * max(1, abs(baseValue)))
    }

    /// Where the input equals the reference everything is zero, and with every listed
    /// nonlinearity separated by a convolution DeepLIFT is exactly complete.
    @Test func completeWhereTheRulesDoNotTouch() throws {
        var generator = SeededGenerator(seed: 5)
        let w1 = Tensor.randomUniform(shape: [6, 3, 3, 3], low: -0.5, high: 0.5, using: &generator)
        let w2 = Tensor.randomUniform(shape: [6, 6, 3, 3], low: -0.5, high: 0.5, using: &generator)
        let w3 = Tensor.randomUniform(shape: [2, 6, 1, 1], low: -0.5, high: 0.5, using: &generator)
        let forward: DeepLift.Forward = { inputs in
            let a = inputs[0].conv2d(weight: w1, padding: Padding2D(1)).relu()
            let b = a.conv2d(weight: w2, padding: Padding2D(1)).maxPool2d(kernel: (2, 2)).conv2d(weight: w2, padding: Padding2D(1))
            return b.tanh().conv2d(weight: w3).sigmoid().conv2d(weight: Tensor(shape: [2, 2, 1, 1], scalars: [1, -0.5, 0.25, 2]))
        }
        let x = Tensor.randomUniform(shape: [1, 3, 8, 8], low: -2, high: 2, using: &generator)
        let b = Tensor.randomUniform(shape: [1, 3, 8, 8], low: -2, high: 2, using: &generator)
        let target = SegmentationTarget(classIndex: 1, height: 4, width: 4, mask: [Float](repeating: 1, count: 16))
        let result = try DeepLift.attribute(forward: forward, inputs: [x], references: [[b], [x]], targets: [target])[0]
        #expect(abs(result.deltas[0]) < 1e-4 * max(1, abs(result.fullValue - result.referenceValues[0])), "delta \(result.deltas[0])")
        #expect(abs(result.deltas[1]) < 1e-6)
        #expect(result.referenceValues[1] == result.fullValue)
    }
}
