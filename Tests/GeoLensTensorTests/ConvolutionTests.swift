@testable import GeoLensTensor
import GeoLensTestSupport
import Testing

/// One point of the option grid the gradient checks sweep.
struct ConvCase: Sendable, CustomTestStringConvertible {
    let name: String
    let input: [Int], weight: [Int]
    var stride = (1, 1), padding = Padding2D.zero, dilation = (1, 1), groups = 1
    var outputPadding = (0, 0)
    var bias = true
    var testDescription: String { name }
}

@Suite("Convolutions: conv2d and convTranspose2d")
struct ConvolutionTests {
    static let convCases: [ConvCase] = [
        ConvCase(name: "3x3 pad 1 bias", input: [2, 3, 5, 6], weight: [4, 3, 3, 3], padding: Padding2D(1)),
        ConvCase(name: "3x3 stride 2 no bias", input: [1, 2, 7, 6], weight: [3, 2, 3, 3], stride: (2, 2),
                 padding: Padding2D(1), bias: false),
        ConvCase(name: "asymmetric padding, stride (1, 2)", input: [1, 2, 5, 6], weight: [3, 2, 3, 2], stride: (1, 2),
                 padding: Padding2D(top: 2, left: 0, bottom: 1, right: 1)),
        ConvCase(name: "dilation 2", input: [1, 2, 7, 7], weight: [2, 2, 3, 3], padding: Padding2D(2), dilation: (2, 2)),
        ConvCase(name: "groups 2", input: [2, 4, 5, 5], weight: [6, 2, 3, 3], padding: Padding2D(top: 1, left: 0, bottom: 0, right: 1),
                 groups: 2),
        ConvCase(name: "depthwise", input: [2, 3, 6, 6], weight: [3, 1, 3, 3], padding: Padding2D(1), groups: 3),
        ConvCase(name: "depthwise stride 2 dilation 2 asymmetric", input: [1, 2, 9, 12], weight: [4, 1, 3, 3], stride: (2, 2),
                 padding: Padding2D(top: 0, left: 2, bottom: 2, right: 1), dilation: (2, 2), groups: 2, bias: false),
        ConvCase(name: "depthwise wide rows", input: [1, 2, 4, 19], weight: [2, 1, 3, 5], padding: Padding2D(height: 1, width: 2),
                 groups: 2),
        ConvCase(name: "padding wider than the kernel", input: [1, 2, 4, 5], weight: [2, 2, 1, 3],
                 padding: Padding2D(top: 1, left: 1, bottom: 2, right: 0)),
        ConvCase(name: "1x1 pointwise", input: [2, 3, 3, 4], weight: [2, 3, 1, 1]),
        ConvCase(name: "1x1 stride 2 groups 3", input: [1, 3, 5, 5], weight: [3, 1, 1, 1], stride: (2, 2), groups: 3,
                 bias: false),
    ]

    static let transposedCases: [ConvCase] = [
        ConvCase(name: "2x2 stride 2 bias", input: [2, 3, 3, 3], weight: [3, 2, 2, 2], stride: (2, 2)),
        ConvCase(name: "3x3 stride 2 pad 1 output padding 1", input: [1, 2, 3, 4], weight: [2, 3, 3, 3], stride: (2, 2),
                 padding: Padding2D(1), outputPadding: (1, 1), bias: false),
        ConvCase(name: "asymmetric padding", input: [1, 2, 4, 3], weight: [2, 2, 3, 3], stride: (1, 2),
                 padding: Padding2D(top: 0, left: 1, bottom: 2, right: 0)),
        ConvCase(name: "dilation 2 groups 2", input: [1, 4, 3, 3], weight: [4, 2, 3, 3], padding: Padding2D(1),
                 dilation: (2, 2), groups: 2),
        ConvCase(name: "depthwise stride 2", input: [1, 3, 4, 4], weight: [3, 1, 3, 3], stride: (2, 2),
                 padding: Padding2D(1), groups: 3),
        ConvCase(name: "1x1", input: [2, 3, 3, 3], weight: [3, 2, 1, 1], bias: false),
    ]

    @Test("Forward and backward agree with PyTorch")
    func parityWithPyTorch() throws {
        try checkAgainstReference("conv.json") { c, x in
            let stride = pair(c.ints("stride")), dilation = pair(c.ints("dilation"))
            let p = c.ints("padding")
            let padding = Padding2D(top: p[0], left: p[1], bottom: p[2], right: p[3])
            let bias = x.count > 2 ? x[2] : nil
            switch c.op {
            case "conv2d":
                return x[0].conv2d(weight: x[1], bias: bias, stride: stride, padding: padding, dilation: dilation,
                                   groups: c.int("groups"))
            case "conv_transpose2d":
                return x[0].convTranspose2d(weight: x[1], bias: bias, stride: stride, padding: padding,
                                            outputPadding: pair(c.ints("output_padding")), dilation: dilation,
                                            groups: c.int("groups"))
            default: return nil
            }
        }
    }

    @Test("conv2d gradients match finite differences", arguments: convCases)
    func convGradients(_ c: ConvCase) {
        let inputs = Self.tensors(for: c, biasCount: c.weight[0])
        checkGradients(inputs) { t in
            t[0].conv2d(weight: t[1], bias: t.count > 2 ? t[2] : nil, stride: c.stride, padding: c.padding,
                        dilation: c.dilation, groups: c.groups)
        }
    }

    @Test("convTranspose2d gradients match finite differences", arguments: transposedCases)
    func transposedGradients(_ c: ConvCase) {
        let inputs = Self.tensors(for: c, biasCount: c.weight[1] * c.groups)
        checkGradients(inputs) { t in
            t[0].convTranspose2d(weight: t[1], bias: t.count > 2 ? t[2] : nil, stride: c.stride, padding: c.padding,
                                 outputPadding: c.outputPadding, dilation: c.dilation, groups: c.groups)
        }
    }

    @Test("Output sizes follow PyTorch's formulas")
    func outputSizes() {
        let x = Tensor(zeros: [2, 3, 17, 10])
        #expect(x.conv2d(weight: Tensor(zeros: [8, 3, 3, 3]), stride: (2, 2), padding: Padding2D(1)).shape == [2, 8, 9, 5])
        #expect(x.conv2d(weight: Tensor(zeros: [6, 1, 5, 5]), padding: Padding2D(top: 0, left: 1, bottom: 3, right: 0),
                         dilation: (2, 1), groups: 3).shape == [2, 6, 12, 7])
        #expect(x.convTranspose2d(weight: Tensor(zeros: [3, 5, 2, 2]), stride: (2, 2)).shape == [2, 5, 34, 20])
        #expect(x.convTranspose2d(weight: Tensor(zeros: [3, 2, 3, 3]), stride: (2, 2), padding: Padding2D(1),
                                  outputPadding: (1, 0)).shape == [2, 2, 34, 19])
    }

    @Test("A convolution with a one-hot kernel shifts the image")
    func oneHotKernelShifts() {
        let x = Tensor(shape: [1, 1, 3, 4], scalars: (0..<12).map(Float.init))
        var kernel = [Float](repeating: 0, count: 9)
        kernel[5] = 1  // row 1, column 2: output(i, j) = input(i, j + 1) with padding 1
        let y = x.conv2d(weight: Tensor(shape: [1, 1, 3, 3], scalars: kernel), padding: Padding2D(1))
        #expect(y.scalars == [1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11, 0])
        let depthwise = x.conv2d(weight: Tensor(shape: [1, 1, 3, 3], scalars: kernel), padding: Padding2D(1), groups: 1)
        #expect(depthwise.scalars == y.scalars)
    }

    @Test("Large planes: GEMM and depthwise paths agree with a naive convolution")
    func largePlanesAgreeWithNaive() {
        let x = randomTensor([2, 4, 20, 37], seed: 40)
        let dense = randomTensor([5, 4, 3, 3], seed: 41), depth = randomTensor([4, 1, 3, 3], seed: 42)
        let b = randomTensor([5], seed: 43)
        let padding = Padding2D(top: 1, left: 2, bottom: 0, right: 1)
        expectNear(x.conv2d(weight: dense, bias: b, padding: padding), naiveConv(x, dense, b, padding: padding, groups: 1))
        expectNear(x.conv2d(weight: depth, padding: padding, groups: 4), naiveConv(x, depth, nil, padding: padding, groups: 4))
    }

    @Test("The fused ReLU epilogue equals relu(conv) and masks the gradient")
    func fusedReluEpilogue() throws {
        let x = randomTensor([1, 3, 6, 6], seed: 50).requiringGradient()
        let w = randomTensor([4, 3, 3, 3], seed: 51), b = randomTensor([4], seed: 52)
        let g = ConvGeometry(op: "conv2d", input: x.shape, weight: w.shape, stride: (1, 1), padding: Padding2D(1),
                             dilation: (1, 1), groups: 1)
        let fused = x.convolved(weight: w, bias: b, geometry: g, activation: .relu)
        let plain = x.conv2d(weight: w, bias: b, padding: Padding2D(1))
        #expect(fused.scalars == plain.scalars.map { max($0, 0) })
        #expect(fused.scalars.contains(0) && fused.scalars.contains { $0 > 0 })
        let grad = try #require(gradients(of: fused, wrt: [x]).first)
        let mask = plain.mapScalars { $0 > 0 ? 1 : 0 }
        let expected = try #require(gradients(of: plain, seed: mask, wrt: [x]).first)
        expectNear(grad, expected)
    }

    @Test("Bad shapes stop with a message naming both shapes")
    func badShapesTrap() async {
        let channels = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [1, 3, 8, 8]).conv2d(weight: Tensor(zeros: [4, 2, 3, 3]))
        }
        expectMessage(channels, mentions: ["[1, 3, 8, 8]", "[4, 2, 3, 3]"])
        let rank = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [1, 3, 8, 8]).conv2d(weight: Tensor(zeros: [4, 3, 3]))
        }
        expectMessage(rank, mentions: ["[1, 3, 8, 8]", "[4, 3, 3]"])
        let groups = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [1, 3, 8, 8]).conv2d(weight: Tensor(zeros: [4, 1, 3, 3]), groups: 2)
        }
        expectMessage(groups, mentions: ["groups 2", "[1, 3, 8, 8]", "[4, 1, 3, 3]"])
        let empty = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [1, 3, 2, 2]).conv2d(weight: Tensor(zeros: [4, 3, 3, 3]))
        }
        expectMessage(empty, mentions: ["output size", "[1, 3, 2, 2]", "[4, 3, 3, 3]"])
        let transposed = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Tensor(zeros: [1, 3, 5, 5]).convTranspose2d(weight: Tensor(zeros: [2, 4, 2, 2]))
        }
        expectMessage(transposed, mentions: ["[1, 3, 5, 5]", "[2, 4, 2, 2]"])
    }
}

// MARK: Helpers

private func pair(_ values: [Int]) -> (Int, Int) { (values[0], values[1]) }

extension ConvolutionTests {
    static func tensors(for c: ConvCase, biasCount: Int) -> [Tensor] {
        var inputs = [randomTensor(c.input, seed: 30), randomTensor(c.weight, seed: 31)]
        if c.bias { inputs.append(randomTensor([biasCount], seed: 32)) }
        return inputs
    }
}

/// Checks that a trapped process wrote a message naming every string of `texts`.
private func expectMessage(_ result: ExitTest.Result?, mentions texts: [String],
                           sourceLocation: SourceLocation = #_sourceLocation) {
    guard let result else { return }
    let message = String(decoding: result.standardErrorContent, as: UTF8.self)
    for text in texts {
        #expect(message.contains(text), "trap message \"\(message.suffix(300))\" does not mention \(text)",
                sourceLocation: sourceLocation)
    }
}

private func expectNear(_ a: Tensor, _ b: Tensor, tolerance: Float = 1e-4, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.shape == b.shape, sourceLocation: sourceLocation)
    let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    #expect(worst <= tolerance, "max difference \(worst)", sourceLocation: sourceLocation)
}

/// Textbook convolution (stride 1, dilation 1) by loops over every index, as ground truth.
private func naiveConv(_ x: Tensor, _ w: Tensor, _ b: Tensor?, padding: Padding2D, groups: Int) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (co, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
    let oh = h + padding.top + padding.bottom - kh + 1, ow = wd + padding.left + padding.right - kw + 1
    let xs = x.scalars, ws = w.scalars, bs = b?.scalars
    var out = [Float](repeating: 0, count: n * co * oh * ow)
    for i in 0..<n {
        for o in 0..<co {
            let group = o / (co / groups)
            for y in 0..<oh {
                for xx in 0..<ow {
                    var acc: Float = bs?[o] ?? 0
                    for ci in 0..<cg {
                        let inC = group * cg + ci
                        for ky in 0..<kh {
                            for kx in 0..<kw {
                                let iy = y + ky - padding.top, ix = xx + kx - padding.left
                                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                acc += ws[((o * cg + ci) * kh + ky) * kw + kx] * xs[((i * c + inC) * h + iy) * wd + ix]
                            }
                        }
                    }
                    out[((i * co + o) * oh + y) * ow + xx] = acc
                }
            }
        }
    }
    return Tensor(shape: [n, co, oh, ow], scalars: out)
}
