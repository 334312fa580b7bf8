import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// Integrated gradients against captum (gausslegendre, 50 steps), and quadrature nodes.
@Suite struct IntegratedGradientsParityTests {
    @Test(arguments: ExplainReference.cases(kind: "ig").map(\.name))
    func matchesCaptum(_ name: String) throws {
        let reference = try #require(ExplainReference.cases.first { $0.name == name })
        let model = try ExplainReference.model(reference.model)
        let input = reference.input.tensor
        let result = IntegratedGradients.explain(model: model, input: input, baseline: try Baseline.tileMean.tensor(for: input),
                                                 targets: [reference.target], steps: 50, batchSize: 10)[0]
        let expected = try #require(reference.output)
        let worst = ExplainReference.maxAbsDifference(result.values, expected.data)
        let scale = max(1, expected.data.map(abs).max() ?? 0)
        // The float16-weight ResNet-34 case has attributions up to ~14: judged relative to that scale.
        let tolerance: Float = name.hasPrefix("smp-") ? 5e-4 : 1e-4
        #expect(worst <= tolerance * scale, "\(name): max abs difference \(worst) against captum (scale \(scale))")
        let gap = abs(result.fullValue - result.baseValue)
        #expect(abs(result.completenessResidual) < 0.05 * max(gap, 1), "\(name): residual \(result.completenessResidual)")
    }

    @Test func gaussLegendreIntegratesPolynomialsExactly() {
        let (nodes, weights) = GaussLegendre.unitInterval(5)
        #expect(abs(weights.reduce(0, +) - 1) < 1e-14)
        // Degree 9 is within 2n - 1 = 9.
        let integral = zip(nodes, weights).reduce(0.0) { $0 + $1.1 * Foundation.pow($1.0, 9) }
        #expect(abs(integral - 0.1) < 1e-14)
        #expect(nodes == nodes.sorted())
    }

    @Test func gradientSHAPIsSeededAndNearlyComplete() throws {
        let reference = try #require(ExplainReference.cases.first { $0.name == "unet-ig-c1" })
        let model = try ExplainReference.model(reference.model)
        let input = reference.input.tensor
        let baseline = try Baseline.tileMean.tensor(for: input)
        let run = { (seed: UInt64) in
            GradientSHAP.explain(model: model, input: input, baselines: [baseline], targets: [reference.target],
                                 samples: 16, seed: seed)[0]
        }
        let a = run(3), b = run(3), c = run(4)
        // Same seed: the same samples (threaded reductions may reorder float sums, hence a tolerance).
        let scale = a.values.map(abs).max() ?? 1
        #expect(ExplainReference.maxAbsDifference(a.values, b.values) <= 1e-5 * scale)
        #expect(ExplainReference.maxAbsDifference(a.values, c.values) > 1e-2 * scale)
        let error = try #require(a.standardError)
        #expect(abs(a.completenessResidual) <= 4 * error + 1e-3 * abs(a.fullValue - a.baseValue))
    }
}
