import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// shap-exact against brute-force Shapley values (every feature ordering, float64, in Python),
/// and KernelSHAP against shap-exact.
@Suite struct ShapleyParityTests {
    @Test(arguments: ExplainReference.cases(kind: "shap").map(\.name))
    func exactShapleyMatchesBruteForce(_ name: String) throws {
        let reference = try #require(ExplainReference.cases.first { $0.name == name })
        let model = try ExplainReference.model(reference.model)
        let input = reference.input.tensor
        let result = try ExactShapley.explain(model: model, input: input, baseline: try Baseline.tileMean.tensor(for: input),
                                              features: reference.features, targets: [reference.target])[0]
        let expected = try #require(reference.values)
        let scale = max(expected.map(abs).max() ?? 0, abs(try #require(reference.fullValue) - (try #require(reference.baseValue))), 1e-3)
        for (actual, wanted) in zip(result.values, expected) {
            #expect(abs(actual - wanted) <= 1e-5 * scale, "\(name): phi \(actual) vs brute force \(wanted) (scale \(scale))")
        }
        #expect(abs(result.baseValue - reference.baseValue!) <= 1e-5 * max(abs(reference.baseValue!), 1))
        #expect(abs(result.fullValue - reference.fullValue!) <= 1e-5 * max(abs(reference.fullValue!), 1))
        let gap = abs(result.fullValue - result.baseValue)
        #expect(abs(result.completenessResidual) < 1e-4 * max(gap, 1e-6), "\(name): completeness residual \(result.completenessResidual)")
        #expect(result.evaluations == 1 << reference.features.count)
    }

    @Test func exactShapleyFormulaMatchesAnAdditiveGameAndInteractionSplit() {
        // v(S) = sum of member weights + 6 when features 0 and 2 are both present: the interaction splits evenly.
        let weights = [1.0, -2.0, 0.5, 3.0]
        let phi = ExactShapley.shapley(m: 4) { bits in
            var v = 0.0
            for i in 0..<4 where bits & (1 << i) != 0 { v += weights[i] }
            return v + (bits & 0b101 == 0b101 ? 6 : 0)
        }
        let expected = [4.0, -2.0, 3.5, 3.0]
        for (a, b) in zip(phi, expected) { #expect(abs(a - b) < 1e-12) }
    }

    @Test func kernelSHAPConvergesToExactValuesWithinItsErrorBound() throws {
        let reference = try #require(ExplainReference.cases.first { $0.name == "unet-shap-bands" })
        let model = try ExplainReference.model(reference.model)
        let input = reference.input.tensor
        let baseline = try Baseline.tileMean.tensor(for: input)
        let exact = try ExactShapley.explain(model: model, input: input, baseline: baseline,
                                             features: reference.features, targets: [reference.target])[0]
        var options = KernelSHAP.Options()
        options.samples = 400
        options.seed = 11
        let estimate = try KernelSHAP.explain(model: model, input: input, baseline: baseline,
                                              features: reference.features, targets: [reference.target], options: options)[0]
        let errors = try #require(estimate.standardErrors)
        // Efficiency holds exactly whatever the sample.
        #expect(abs(estimate.completenessResidual) < 1e-6 * max(abs(exact.fullValue - exact.baseValue), 1))
        for i in exact.values.indices {
            let bound = 4 * errors[i] + 1e-4 * abs(exact.fullValue - exact.baseValue)
            #expect(abs(estimate.values[i] - exact.values[i]) <= bound,
                    "feature \(i): kernel \(estimate.values[i]) ± \(errors[i]) vs exact \(exact.values[i])")
        }
    }

    @Test func kernelSHAPStopsEarlyWhenTheStandardErrorsAreSmall() throws {
        let model = try ExplainReference.model("fixtures/models/unet_in4_c2.safetensors")
        let reference = try #require(ExplainReference.cases.first { $0.name == "unet-shap-groups" })
        var options = KernelSHAP.Options()
        options.samples = 4096
        options.checkEvery = 64
        options.tolerance = 1e3
        let input = reference.input.tensor
        let result = try KernelSHAP.explain(model: model, input: input, baseline: try Baseline.zero.tensor(for: input),
                                            features: reference.features, targets: [reference.target], options: options)[0]
        #expect(result.evaluations <= 2 + 64)
    }

    @Test func tooManyGroupsForExactShapleyIsAnError() throws {
        let model = try ExplainReference.model("fixtures/models/unet_in4_c2.safetensors")
        let input = Tensor(zeros: [1, 4, 8, 8])
        let features = FeatureGroups.crossed(FeatureGroups.perChannel(4), gridRows: 2, columns: 2, height: 8, width: 8)
        let target = SegmentationTarget(classIndex: 0, height: 8, width: 8, mask: [Float](repeating: 1, count: 64))
        #expect(throws: ExplainError.self) {
            _ = try ExactShapley.explain(model: model, input: input, baseline: input, features: features, targets: [target])
        }
    }
}
