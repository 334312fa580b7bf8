import Foundation
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// Behaviour of the NN ops beyond parity: dropout statistics and reproducibility, batch-norm running
/// statistics, numerical stability, and agreement of the parallel path with small inputs.
@Suite("NN ops: dropout, statistics, stability, parallel path")
struct NNBehaviourTests {
    @Test("Inactive or zero-probability dropout returns the input unchanged")
    func inactiveDropout() {
        let x = randomTensor([2, 3, 4, 4], seed: 201)
        var rng = SeededGenerator(seed: 1)
        #expect(x.dropout(probability: 0.5, isActive: false, using: &rng).scalars == x.scalars)
        #expect(x.dropout(probability: 0, isActive: true, using: &rng).scalars == x.scalars)
        #expect(x.dropout2d(probability: 0.5, isActive: false, using: &rng).scalars == x.scalars)
        var untouched = SeededGenerator(seed: 1)
        #expect(rng.next() == untouched.next(), "inactive dropout must not consume random numbers")
    }

    @Test("Dropout zeroes about p of the elements, scales survivors by 1/(1-p) and is reproducible", arguments: [0.1, 0.3, 0.5, 0.8])
    func dropoutStatistics(probability: Float) {
        let x = Tensor(shape: [4, 8, 32, 32], repeating: 2)
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        let y = x.dropout(probability: probability, isActive: true, using: &a).scalars
        #expect(y == x.dropout(probability: probability, isActive: true, using: &b).scalars)
        let zeros = y.filter { $0 == 0 }.count
        #expect(abs(Float(zeros) / Float(y.count) - probability) < 0.02)
        let survivor = 2 / (1 - probability)
        #expect(y.allSatisfy { $0 == 0 || abs($0 - survivor) < 1e-5 })
        var c = SeededGenerator(seed: 10)
        #expect(x.dropout(probability: probability, isActive: true, using: &c).scalars != y, "another seed, another mask")
    }

    @Test("Dropout2d drops whole feature maps")
    func channelDropout() {
        let x = randomTensor([8, 16, 5, 6], seed: 202, awayFromZero: 0.01)
        var rng = SeededGenerator(seed: 3)
        let y = x.dropout2d(probability: 0.5, isActive: true, using: &rng).scalars
        let xs = x.scalars
        var dropped = 0
        for map in 0..<(8 * 16) {
            let range = map * 30 ..< (map + 1) * 30
            let isZero = y[range].allSatisfy { $0 == 0 }
            let isScaled = range.allSatisfy { abs(y[$0] - 2 * xs[$0]) < 1e-6 }
            #expect(isZero || isScaled, "map \(map) is neither dropped nor scaled by 2")
            if isZero { dropped += 1 }
        }
        #expect(dropped > 40 && dropped < 88)
        var all = SeededGenerator(seed: 4)
        #expect(x.dropout(probability: 1, isActive: true, using: &all).scalars.allSatisfy { $0 == 0 })
    }

    @Test("Batch statistics update running statistics like PyTorch (momentum 0.1)")
    func runningStatistics() throws {
        let cases = try Fixtures.referenceCases("fixtures/reference/tensor/nn_normalization.json")
            .filter { $0.op.hasPrefix("batch_norm_running_") }
        #expect(cases.count == 2)
        for c in cases {
            let x = c.inputs[0].tensor, initialMean = c.inputs[1].tensor, initialVariance = c.inputs[2].tensor
            let stats = x.batchNormTraining(weight: nil, bias: nil)
            let updated = c.op.hasSuffix("mean")
                ? initialMean * 0.9 + stats.mean * 0.1
                : initialVariance * 0.9 + stats.unbiasedVariance * 0.1
            expectClose(updated, c.output, "\(c.name)")
            #expect(!stats.mean.requiresGradient && !stats.unbiasedVariance.requiresGradient)
        }
    }

    @Test("Softmax survives huge logits and sums to one")
    func softmaxStability() {
        let logits = randomTensor([2, 6, 3, 3], seed: 203) * 1e4
        let p = logits.softmax().scalars
        #expect(p.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
        for n in 0..<2 {
            for i in 0..<9 {
                let total = (0..<6).reduce(Float(0)) { $0 + p[(n * 6 + $1) * 9 + i] }
                #expect(abs(total - 1) < 1e-5)
            }
        }
        #expect(logits.logSoftmax().scalars.allSatisfy { $0.isFinite && $0 <= 0 })
    }

    @Test("Sigmoid and softmax agree with double-precision formulas over a wide range")
    func exponentialAccuracy() {
        let grid = (0...4000).map { Float($0) * 0.05 - 100 }
        let x = Tensor(shape: [grid.count], scalars: grid)
        let sigmoid = x.sigmoid().scalars
        var worst: Double = 0
        for (i, v) in grid.enumerated() {
            let exact = 1 / (1 + Foundation.exp(-Double(v)))
            worst = max(worst, abs(Double(sigmoid[i]) - exact) / max(exact, 1e-30))
        }
        #expect(worst < 1e-6, "sigmoid relative error \(worst)")
        let logits = Tensor(shape: [1, grid.count], scalars: grid.map { $0 * 0.9 })
        let p = logits.softmax(alongAxis: 1).scalars
        let logp = logits.logSoftmax(alongAxis: 1).scalars
        let top = Double(grid.map { $0 * 0.9 }.max()!)
        let total = grid.reduce(0.0) { $0 + Foundation.exp(Double($1 * 0.9) - top) }
        var worstP: Double = 0, worstLog: Double = 0
        for (i, v) in grid.enumerated() {
            let exactLog = Double(v * 0.9) - top - Foundation.log(total)
            worstLog = max(worstLog, abs(Double(logp[i]) - exactLog))
            let exact = Foundation.exp(exactLog)
            if exact > 1e-30 { worstP = max(worstP, abs(Double(p[i]) - exact) / exact) }
        }
        #expect(worstP < 1e-5 && worstLog < 1e-4, "softmax relative error \(worstP), log-softmax error \(worstLog)")
        #expect(Tensor(shape: [3], scalars: [.nan, 0, 1]).sigmoid().scalars[0].isNaN)
        #expect(Tensor(shape: [2], scalars: [-.infinity, 0]).softmax(alongAxis: 0).scalars == [0, 1])
    }

    @Test("Inference does not record the tape")
    func inferenceLeavesNoTape() {
        let x = randomTensor([1, 2, 6, 6], seed: 204)
        #expect(!x.maxPool2d(kernel: (2, 2)).requiresGradient)
        #expect(!x.relu().requiresGradient)
        let watched = x.requiringGradient()
        #expect(watched.maxPool2d(kernel: (2, 2)).requiresGradient)
        #expect(!GradientMode.withoutRecording { watched.maxPool2d(kernel: (2, 2)) }.requiresGradient)
    }

    @Test("Large tensors (threaded path) match image-by-image results")
    func parallelPathMatchesSerial() {
        // 4 x 8 x 48 x 48 = 73 728 elements: above the threading grain; one image alone is below it.
        let x = randomTensor([4, 8, 48, 48], seed: 205)
        let mean = randomTensor([8], seed: 206), variance = randomTensor([8], seed: 207).mapScalars { abs($0) + 0.1 }
        let ops: [(String, (Tensor) -> Tensor)] = [
            ("relu", { $0.relu() }),
            ("gelu", { $0.gelu() }),
            ("softmax", { $0.softmax() }),
            ("logSoftmax", { $0.logSoftmax() }),
            ("maxPool2d", { $0.maxPool2d(kernel: (3, 3), stride: (2, 2), padding: Padding2D(1)) }),
            ("avgPool2d", { $0.avgPool2d(kernel: (3, 3), stride: (2, 2), padding: Padding2D(1), countIncludePad: false) }),
            ("adaptiveAvgPool2d", { $0.adaptiveAvgPool2d(outputSize: (5, 7)) }),
            ("globalAvgPool2d", { $0.globalAvgPool2d() }),
            ("upsampled", { $0.upsampled(height: 96, width: 80, bilinear: true) }),
            ("resized", { $0.resized(height: 20, width: 30, mode: .nearest(.roundPreferCeil), coordinates: .halfPixel) }),
            ("padded", { $0.padded(Padding2D(top: 1, left: 2, bottom: 3, right: 4), mode: .reflect) }),
            ("batchNorm", { $0.batchNorm(mean: mean, variance: variance, weight: nil, bias: nil) }),
            ("groupNorm", { $0.groupNorm(groups: 4, weight: nil, bias: nil) }),
            ("layerNorm", { $0.layerNorm(normalizedShape: [48], weight: nil, bias: nil) }),
        ]
        let images = (0..<4).map { x.slice(alongAxis: 0, start: $0, end: $0 + 1) }
        for (name, op) in ops {
            let whole = op(x).scalars
            let pieces = images.flatMap { op($0).scalars }
            let worst = zip(whole, pieces).map { abs($0 - $1) }.max() ?? .infinity
            #expect(whole.count == pieces.count && worst <= 1e-5, "\(name): threaded and per-image results differ by \(worst)")
        }
        // Backward through the threaded path, against the same per-image computation.
        let watched = x.requiringGradient()
        let whole = gradients(of: watched.groupNorm(groups: 2, weight: nil, bias: nil).softmax(), wrt: [watched])[0].scalars
        let pieces = images.flatMap { image -> [Float] in
            let w = image.requiringGradient()
            return gradients(of: w.groupNorm(groups: 2, weight: nil, bias: nil).softmax(), wrt: [w])[0].scalars
        }
        let worst = zip(whole, pieces).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-5, "group norm + softmax gradients differ by \(worst)")
    }
}
