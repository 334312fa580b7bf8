import GeoLensTensor
import Testing

/// Every NN op's pullback against central finite differences. Inputs keep clear of kinks
/// (relu, clip, hard activations) and of max-pool ties, where finite differences are meaningless.
@Suite("NN ops: gradients match finite differences")
struct NNGradientTests {
    @Test func activationGradients() {
        let x = randomTensor([2, 3, 4], seed: 101, awayFromZero: 0.1)
        checkGradients([x]) { $0[0].relu() }
        checkGradients([x]) { $0[0].leakyRelu(negativeSlope: 0.2) }
        checkGradients([x]) { $0[0].sigmoid() }
        checkGradients([x]) { $0[0].tanh() }
        checkGradients([x]) { $0[0].silu() }
        checkGradients([x]) { $0[0].gelu() }
        checkGradients([x]) { $0[0].gelu(approximateTanh: true) }
        let wide = keptAway(from: [-3, 3, -2.5, 2.5], randomTensor([2, 3, 4], seed: 102) * 2.5)
        checkGradients([wide]) { $0[0].hardSigmoid() }
        checkGradients([wide]) { $0[0].hardSigmoid(alpha: 0.2, beta: 0.5) }
        checkGradients([wide]) { $0[0].hardSwish() }
        let clipped = keptAway(from: [-0.5, 0.7, 0, 6], randomTensor([2, 3, 4], seed: 103) * 3)
        checkGradients([clipped]) { $0[0].clipped(min: -0.5, max: 0.7) }
        checkGradients([clipped]) { $0[0].clipped(min: 0, max: 6) }
        checkGradients([clipped]) { $0[0].clipped(max: 0.7) }
    }

    @Test func softmaxGradients() {
        let x = randomTensor([2, 4, 3, 2], seed: 104)
        checkGradients([x]) { $0[0].softmax() }
        checkGradients([x]) { $0[0].softmax(alongAxis: -1) }
        checkGradients([x]) { $0[0].logSoftmax() }
        checkGradients([x]) { $0[0].logSoftmax(alongAxis: 0) }
    }

    @Test func poolingGradients() {
        let x = distinctTensor([1, 2, 7, 6], seed: 105)
        checkGradients([x]) { $0[0].maxPool2d(kernel: (3, 3), stride: (2, 2), padding: Padding2D(1)) }
        checkGradients([x]) { $0[0].maxPool2d(kernel: (2, 2), ceilMode: true) }
        checkGradients([x]) { $0[0].maxPool2d(kernel: (2, 3), stride: (1, 1), padding: Padding2D(top: 0, left: 1, bottom: 1, right: 0), dilation: (2, 1)) }
        checkGradients([x]) { $0[0].avgPool2d(kernel: (3, 3), stride: (2, 2), padding: Padding2D(1)) }
        checkGradients([x]) { $0[0].avgPool2d(kernel: (3, 3), stride: (2, 2), padding: Padding2D(1), ceilMode: true, countIncludePad: false) }
        checkGradients([x]) { $0[0].avgPool2d(kernel: (2, 2), ceilMode: true) }
        checkGradients([x]) { $0[0].globalAvgPool2d() }
        checkGradients([x]) { $0[0].adaptiveAvgPool2d(outputSize: (3, 4)) }
        checkGradients([x]) { $0[0].adaptiveAvgPool2d(outputSize: (9, 8)) }
    }

    @Test func resizeGradients() {
        let x = randomTensor([1, 2, 3, 4], seed: 106)
        checkGradients([x]) { $0[0].upsampled(height: 7, width: 9, bilinear: true) }
        checkGradients([x]) { $0[0].upsampled(height: 5, width: 6, bilinear: true, alignCorners: true) }
        checkGradients([x]) { $0[0].upsampled(height: 6, width: 7, bilinear: false) }
        checkGradients([x]) { $0[0].upsampled(height: 2, width: 3, bilinear: true) }
        for transform in [CoordinateTransform.halfPixel, .asymmetric, .alignCorners, .pytorchHalfPixel] {
            checkGradients([x]) { $0[0].resized(height: 5, width: 7, mode: .bilinear, coordinates: transform) }
            checkGradients([x]) { $0[0].resized(height: 5, width: 7, mode: .nearest(.roundPreferFloor), coordinates: transform) }
        }
    }

    @Test func paddingGradients() {
        let x = randomTensor([2, 1, 3, 4], seed: 107)
        let pad = Padding2D(top: 2, left: 1, bottom: 0, right: 3)
        checkGradients([x]) { $0[0].padded(pad) }
        checkGradients([x]) { $0[0].padded(pad, mode: .constant(1.5)) }
        checkGradients([x]) { $0[0].padded(pad, mode: .reflect) }
        checkGradients([x]) { $0[0].padded(Padding2D(3), mode: .replicate) }
    }

    @Test func batchNormGradients() {
        let x = randomTensor([2, 3, 2, 3], seed: 108)
        let mean = randomTensor([3], seed: 109), weight = randomTensor([3], seed: 110), bias = randomTensor([3], seed: 111)
        let variance = randomTensor([3], seed: 112).mapScalars { abs($0) + 0.5 }
        checkGradients([x, mean, variance, weight, bias]) {
            $0[0].batchNorm(mean: $0[1], variance: $0[2], weight: $0[3], bias: $0[4])
        }
        checkGradients([x, mean, variance]) { $0[0].batchNorm(mean: $0[1], variance: $0[2], weight: nil, bias: nil) }
        checkGradients([x, weight, bias]) { $0[0].batchNormTraining(weight: $0[1], bias: $0[2]).output }
        checkGradients([x]) { $0[0].batchNormTraining(weight: nil, bias: nil, epsilon: 1e-3).output }
    }

    @Test func groupLayerInstanceNormGradients() {
        let x = randomTensor([2, 4, 2, 3], seed: 113) * 1.5
        let weight = randomTensor([4], seed: 114), bias = randomTensor([4], seed: 115)
        checkGradients([x, weight, bias]) { $0[0].groupNorm(groups: 2, weight: $0[1], bias: $0[2]) }
        checkGradients([x]) { $0[0].groupNorm(groups: 1, weight: nil, bias: nil) }
        checkGradients([x, weight, bias]) { $0[0].instanceNorm(weight: $0[1], bias: $0[2]) }
        let rows = randomTensor([3, 2, 5], seed: 116)
        checkGradients([rows, randomTensor([5], seed: 117), randomTensor([5], seed: 118)]) {
            $0[0].layerNorm(normalizedShape: [5], weight: $0[1], bias: $0[2])
        }
        checkGradients([rows, randomTensor([2, 5], seed: 119), randomTensor([2, 5], seed: 120)]) {
            $0[0].layerNorm(normalizedShape: [2, 5], weight: $0[1], bias: $0[2])
        }
        checkGradients([rows]) { $0[0].layerNorm(normalizedShape: [5], weight: nil, bias: nil) }
    }

    @Test func dropoutGradients() {
        let x = randomTensor([2, 3, 2, 2], seed: 121)
        checkGradients([x]) { inputs in
            var rng = SeededGenerator(seed: 5)
            return inputs[0].dropout(probability: 0.4, isActive: true, using: &rng)
        }
        checkGradients([x]) { inputs in
            var rng = SeededGenerator(seed: 6)
            return inputs[0].dropout2d(probability: 0.5, isActive: true, using: &rng)
        }
    }
}

/// Values moved at least 0.1 away from each of `points` (the kinks of piecewise activations).
func keptAway(from points: [Float], _ x: Tensor, margin: Float = 0.1) -> Tensor {
    x.mapScalars { v in
        var v = v
        for p in points where abs(v - p) < margin { v = v >= p ? p + margin : p - margin }
        return v
    }
}

/// A tensor whose elements are a seeded shuffle of 0.1, 0.2, ... (no ties, gaps far above the finite-difference step).
func distinctTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    let n = shape.reduce(1, *)
    let values = (0..<n).map { Float($0 + 1) * 0.1 - Float(n) * 0.05 }.shuffled(using: &rng)
    return Tensor(shape: shape, scalars: values)
}
