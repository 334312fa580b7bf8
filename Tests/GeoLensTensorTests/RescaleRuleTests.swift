import Foundation
import GeoLensTensor
import Testing

/// DeepLIFT's rescale rule on the tape (`GradientMode.withRescaleRule`), on pairs small enough to
/// check by hand. The batch is `[inputs; references]`.
@Suite struct RescaleRuleTests {
    func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-6) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    @Test func activationsRecordTheMultiplierForBothHalves() {
        let x = Tensor(shape: [2, 2], scalars: [2, 0.5, -1, 0.5]).requiringGradient()
        let relu = GradientMode.withRescaleRule { x.relu() }
        #expect(relu.gradientOp == "relu_rescale")
        let g = gradients(of: relu, seed: Tensor(shape: [2, 2], scalars: [1, 1, 3, 1]), wrt: [x])[0].scalars
        // (2 - 0) / (2 - (-1)) times each half's own upstream gradient; x == x0 keeps relu'(0.5) = 1.
        #expect(close(g, [2.0 / 3, 1, 2, 1]), "\(g)")
        let sigmoid = GradientMode.withRescaleRule { x.sigmoid() }
        let s = gradients(of: sigmoid, wrt: [x])[0].scalars
        let sig = { (v: Float) in 1 / (1 + exp(-v)) }
        let multiplier = (sig(2) - sig(-1)) / 3, derivative = sig(0.5) * (1 - sig(0.5))
        #expect(close(s, [multiplier, derivative, multiplier, derivative]), "\(s)")
        // Outside the mode, and for activations the rule does not list, the ordinary derivative.
        #expect(close(gradients(of: x.relu(), wrt: [x])[0].scalars, [1, 1, 0, 1]))
        #expect(GradientMode.withRescaleRule { x.silu() }.gradientOp == "silu")
    }

    @Test func maxPoolingFollowsCaptumsRule() {
        // One 1 x 2 window per half: x = [1, 3] (max 3 at 1), x0 = [4, 0] (max 4 at 0).
        let x = Tensor(shape: [2, 1, 1, 2], scalars: [1, 3, 4, 0]).requiringGradient()
        let y = GradientMode.withRescaleRule { x.maxPool2d(kernel: (1, 2)) }
        #expect(y.scalars == [3, 4])
        let g = gradients(of: y, wrt: [x])[0].scalars
        // U = [g0 (3 - 4) at x0's argmax, g (4 - 4) at x's] = [-1, 0]; divided by x - x0 = [-3, 3].
        #expect(close(g, [1.0 / 3, 0, 1.0 / 3, 0]), "\(g)")
        // Summation to delta: (x - x0) . multipliers = y - y0.
        #expect(abs((1 - 4) * g[0] + (3 - 0) * g[1] - (3 - 4)) < 1e-6)
    }

    @Test func aListedOpAfterAnotherPassesItsOrdinaryGradient() {
        let x = Tensor(shape: [2, 1, 1, 2], scalars: [1, 3, 4, -2]).requiringGradient()
        let y = GradientMode.withRescaleRule { x.relu().maxPool2d(kernel: (1, 2)) }
        // The pooling routes g to each half's argmax as usual (x: index 1, x0: index 0); the ReLU
        // then applies its multipliers: (1 - 4) / (1 - 4) = 1 and (3 - 0) / (3 + 2) = 0.6.
        let g = gradients(of: y, wrt: [x])[0].scalars
        #expect(close(g, [0, 0.6, 1, 0]), "\(g)")
    }
}
