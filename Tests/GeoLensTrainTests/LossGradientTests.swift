import GeoLensTensor
import GeoLensTrain
import Testing

/// Loss gradients against central finite differences, and the entropy regularizer's effect on the gradient.
@Suite struct LossGradientTests {
    static let shape = [2, 3, 2, 3]
    static let labels: [Int32] = [0, 1, 2, 255, 1, 1, 2, 0, 0, 1, 255, 2]

    static func logits() -> Tensor {
        var generator = SeededGenerator(seed: 11)
        return Tensor.randomNormal(shape: shape, using: &generator)
    }

    /// Worst difference between the tape gradient and central differences of `f`.
    static func gradientError(_ f: (Tensor) -> Tensor) -> Float {
        let x = logits().requiringGradient()
        let analytic = gradients(of: f(x), wrt: [x])[0].scalars
        var values = x.detached().scalars
        var worst: Float = 0
        let h: Float = 1e-2
        for i in values.indices {
            let saved = values[i]
            values[i] = saved + h
            let plus = f(Tensor(shape: shape, scalars: values)).scalar
            values[i] = saved - h
            let minus = f(Tensor(shape: shape, scalars: values)).scalar
            values[i] = saved
            worst = max(worst, abs((plus - minus) / (2 * h) - analytic[i]))
        }
        return worst
    }

    @Test(arguments: ["plain", "weighted", "smoothed"])
    func crossEntropyGradientMatchesFiniteDifferences(variant: String) {
        let loss = switch variant {
        case "weighted": CrossEntropyLoss(classWeights: [0.5, 2, 1], ignoreIndex: 255)
        case "smoothed": CrossEntropyLoss(classWeights: [0.5, 2, 1], ignoreIndex: 255, labelSmoothing: 0.2)
        default: CrossEntropyLoss(ignoreIndex: 255)
        }
        #expect(Self.gradientError { loss($0, labels: Self.labels) } < 2e-3)
    }

    @Test func focalAndDiceGradientsMatchFiniteDifferences() {
        let focal = FocalLoss(gamma: 2, alpha: [0.25, 0.5, 0.25], ignoreIndex: 255)
        let dice = DiceLoss(smoothing: 1, ignoreIndex: 255)
        #expect(Self.gradientError { focal($0, labels: Self.labels) } < 2e-3)
        #expect(Self.gradientError { dice($0, labels: Self.labels) } < 2e-3)
        #expect(Self.gradientError { SoftmaxEntropy.mean(of: $0) } < 2e-3)
    }

    @Test func focalWithGammaZeroIsCrossEntropy() {
        let x = Self.logits()
        let focal = FocalLoss(gamma: 0, ignoreIndex: 255)(x, labels: Self.labels).scalar
        let ce = CrossEntropyLoss(ignoreIndex: 255)(x, labels: Self.labels).scalar
        #expect(abs(focal - ce) < 1e-6)
    }

    /// The hook's auxiliary term changes the logit gradient by exactly -lambda * d(mean entropy)/d(logits).
    @Test func entropyRegularizationAddsMinusLambdaTimesEntropyGradient() {
        let lambda: Float = 0.3
        let x = Self.logits().requiringGradient()
        let loss = CrossEntropyLoss(ignoreIndex: 255)
        let plain = gradients(of: loss(x, labels: Self.labels), wrt: [x])[0].scalars
        let hook = EntropyRegularization(lambda: lambda)
        let extra = hook.auxiliaryLoss(logits: x)
        let regularized = gradients(of: loss(x, labels: Self.labels) + extra, wrt: [x])[0].scalars
        // Central differences of the mean entropy, independent of the op's pullback.
        var values = x.detached().scalars
        let h: Float = 1e-2
        var worst: Float = 0
        for i in values.indices {
            let saved = values[i]
            values[i] = saved + h
            let plus = SoftmaxEntropy.mean(of: Tensor(shape: Self.shape, scalars: values)).scalar
            values[i] = saved - h
            let minus = SoftmaxEntropy.mean(of: Tensor(shape: Self.shape, scalars: values)).scalar
            values[i] = saved
            let predicted = -lambda * (plus - minus) / (2 * h)
            worst = max(worst, abs((regularized[i] - plain[i]) - predicted))
        }
        #expect(worst < 1e-3)
        #expect(zip(regularized, plain).contains { abs($0 - $1) > 1e-3 }, "the regularizer must change the gradient")
    }
}
