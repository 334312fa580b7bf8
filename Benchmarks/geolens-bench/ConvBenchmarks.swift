import GeoLensTensor

/// The convolution shapes measured against PyTorch (`scripts/bench/conv_torch.py` lists the same).
struct ConvBenchmark {
    enum Kind {
        case forward, transposed
        /// Input and weight gradients, and each alone.
        case backward, backwardInput, backwardWeight
    }

    let name: String
    let kind: Kind
    let input: [Int], weight: [Int]
    var stride = (1, 1), padding = 0, groups = 1

    /// Multiply-adds of one forward call (the full backward pass does twice as many).
    var multiplyAdds: Int {
        let (n, kh, kw) = (input[0], weight[2], weight[3])
        switch kind {
        case .transposed:
            return n * input[1] * input[2] * input[3] * weight[1] * kh * kw
        case .forward, .backward, .backwardInput, .backwardWeight:
            let oh = (input[2] + 2 * padding - kh) / stride.0 + 1, ow = (input[3] + 2 * padding - kw) / stride.1 + 1
            return n * weight[0] * oh * ow * weight[1] * kh * kw
        }
    }

    static let all: [ConvBenchmark] = [
        ConvBenchmark(name: "conv3x3_64to64_64px_b8", kind: .forward, input: [8, 64, 64, 64], weight: [64, 64, 3, 3], padding: 1),
        ConvBenchmark(name: "conv3x3s2_64to128_64px_b8", kind: .forward, input: [8, 64, 64, 64], weight: [128, 64, 3, 3],
                      stride: (2, 2), padding: 1),
        ConvBenchmark(name: "conv1x1_256to64_32px_b8", kind: .forward, input: [8, 256, 32, 32], weight: [64, 256, 1, 1]),
        ConvBenchmark(name: "conv1x1_24to144_128px_b1", kind: .forward, input: [1, 24, 128, 128], weight: [144, 24, 1, 1]),
        ConvBenchmark(name: "conv1x1_192to32_64px_b1", kind: .forward, input: [1, 192, 64, 64], weight: [32, 192, 1, 1]),
        ConvBenchmark(name: "depthwise3x3_144_64px_b8", kind: .forward, input: [8, 144, 64, 64], weight: [144, 1, 3, 3],
                      padding: 1, groups: 144),
        ConvBenchmark(name: "depthwise5x5_240_32px_b8", kind: .forward, input: [8, 240, 32, 32], weight: [240, 1, 5, 5],
                      padding: 2, groups: 240),
        ConvBenchmark(name: "convT2x2s2_128to64_32px_b8", kind: .transposed, input: [8, 128, 32, 32], weight: [128, 64, 2, 2],
                      stride: (2, 2)),
        ConvBenchmark(name: "backward_conv3x3_64to64_64px_b8", kind: .backward, input: [8, 64, 64, 64], weight: [64, 64, 3, 3],
                      padding: 1),
        ConvBenchmark(name: "backward_input_conv3x3_64to64_64px_b8", kind: .backwardInput, input: [8, 64, 64, 64],
                      weight: [64, 64, 3, 3], padding: 1),
        ConvBenchmark(name: "backward_weight_conv3x3_64to64_64px_b8", kind: .backwardWeight, input: [8, 64, 64, 64],
                      weight: [64, 64, 3, 3], padding: 1),
    ]

    /// Median milliseconds of one call.
    func run(timing: Timing) -> Double {
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.randomNormal(shape: input, using: &rng)
        let w = Tensor.randomNormal(shape: weight, std: 0.05, using: &rng)
        let biasCount = kind == .transposed ? weight[1] * groups : weight[0]
        let b = Tensor.randomNormal(shape: [biasCount], using: &rng)
        let pad = Padding2D(padding)
        switch kind {
        case .forward:
            return timing.medianMilliseconds {
                consume(x.conv2d(weight: w, bias: b, stride: stride, padding: pad, groups: groups))
            }
        case .transposed:
            return timing.medianMilliseconds {
                consume(x.convTranspose2d(weight: w, bias: b, stride: stride, padding: pad, groups: groups))
            }
        case .backward, .backwardInput, .backwardWeight:
            let xs = kind == .backwardWeight ? x : x.requiringGradient()
            let ws = kind == .backwardInput ? w : w.requiringGradient()
            let y = xs.conv2d(weight: ws, bias: b, stride: stride, padding: pad, groups: groups)
            let seed = Tensor.randomNormal(shape: y.shape, using: &rng)
            let wrt = kind == .backward ? [xs, ws] : [kind == .backwardInput ? xs : ws]
            return timing.medianMilliseconds {
                consume(gradients(of: y, seed: seed, wrt: wrt))
            }
        }
    }
}
