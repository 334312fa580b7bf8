import CGeoLensKernels
import Foundation
@testable import GeoLensTensor
import GeoLensTestSupport
import Testing

/// The C kernels (AVX2/FMA when the CPU has them, portable C otherwise) against Double references,
/// and the fused convolution epilogues against the unfused ops.
@Suite("CPU kernels: depthwise planes, sigmoid, SiLU, fused epilogues")
struct CPUKernelTests {
    struct DepthwiseCase: Sendable, CustomTestStringConvertible {
        let name: String
        let input: [Int], kernel: Int, multiplier: Int
        var stride = 1, dilation = 1, padding = 0
        var testDescription: String { name }
    }

    static let depthwiseCases: [DepthwiseCase] = [
        DepthwiseCase(name: "3x3 stride 1, width 70 (two 32-blocks and a partial vector)", input: [2, 3, 9, 70], kernel: 3, multiplier: 1, padding: 1),
        DepthwiseCase(name: "5x5 stride 1, width 5", input: [1, 4, 6, 5], kernel: 5, multiplier: 1, padding: 2),
        DepthwiseCase(name: "3x3 stride 2, width 37", input: [2, 2, 11, 37], kernel: 3, multiplier: 1, stride: 2, padding: 1),
        DepthwiseCase(name: "5x5 stride 2, width 64", input: [1, 3, 16, 64], kernel: 5, multiplier: 2, stride: 2, padding: 2),
        DepthwiseCase(name: "3x3 stride 3", input: [1, 2, 10, 23], kernel: 3, multiplier: 1, stride: 3, padding: 1),
        DepthwiseCase(name: "3x3 dilation 2", input: [1, 2, 12, 41], kernel: 3, multiplier: 1, dilation: 2, padding: 2),
        DepthwiseCase(name: "5x5 stride 1, 16 x 16 (bands of four rows)", input: [2, 3, 16, 16], kernel: 5, multiplier: 1, padding: 2),
        DepthwiseCase(name: "3x3 stride 1, 9 x 12 (a partial band and vector)", input: [1, 3, 9, 12], kernel: 3, multiplier: 1, padding: 1),
    ]

    @Test("depthwise conv2d equals a Double reference", arguments: depthwiseCases)
    func depthwiseMatchesReference(_ c: DepthwiseCase) {
        var generator = SeededGenerator(seed: 7)
        let channels = c.input[1]
        let x = Tensor.randomNormal(shape: c.input, using: &generator)
        let w = Tensor.randomNormal(shape: [channels * c.multiplier, 1, c.kernel, c.kernel], using: &generator)
        let b = Tensor.randomNormal(shape: [channels * c.multiplier], using: &generator)
        let y = x.conv2d(weight: w, bias: b, stride: (c.stride, c.stride), padding: Padding2D(c.padding),
                         dilation: (c.dilation, c.dilation), groups: channels)
        let expected = referenceDepthwise(x, w, b, stride: c.stride, dilation: c.dilation, padding: c.padding)
        #expect(y.count == expected.count)
        #expect(worstDifference(y.scalars, expected) <= 1e-5)
    }

    @Test("the portable depthwise plane equals the dispatched one within rounding")
    func portableDepthwisePlane() {
        var generator = SeededGenerator(seed: 3)
        // Widths and heights that exercise every register tile: bands of 1, 2 and 4 rows, tiles
        // of 4, 2 and 1 vectors, partial last vectors, strides 1 to 3; kernels 3 and 5, dilation 2.
        let cases: [(stride: Int, kernel: Int, dilation: Int, outHeight: Int, outWidth: Int)] = [
            (1, 3, 1, 6, 45), (2, 3, 1, 6, 19), (3, 3, 1, 6, 7), (1, 3, 1, 7, 64), (1, 5, 1, 16, 16), (1, 5, 1, 9, 8),
            (1, 3, 1, 5, 13), (1, 5, 2, 11, 37), (1, 3, 1, 3, 3), (1, 3, 1, 33, 100), (1, 5, 1, 2, 24),
            (2, 5, 1, 9, 33), (2, 3, 1, 8, 64), (2, 3, 2, 5, 5),
        ]
        for c in cases {
            let pitch = (c.outWidth + 7) / 8 * 8 * c.stride + (c.kernel - 1) * c.dilation + 8
            let rows = (c.outHeight - 1) * c.stride + (c.kernel - 1) * c.dilation + 1
            let padded = Tensor.randomNormal(shape: [rows * pitch + 32], using: &generator).scalars
            let weight = Tensor.randomNormal(shape: [c.kernel * c.kernel], using: &generator).scalars
            var dispatched = [Float](repeating: .nan, count: c.outHeight * c.outWidth + 8), portable = dispatched
            let (k, d, s) = (Int32(c.kernel), Int32(c.dilation), Int32(c.stride))
            gl_depthwise_plane(padded, pitch, weight, k, k, d, d, s, s, &dispatched, Int32(c.outHeight), Int32(c.outWidth))
            gl_depthwise_plane_portable(padded, pitch, weight, k, k, d, d, s, s, &portable, Int32(c.outHeight), Int32(c.outWidth))
            let count = c.outHeight * c.outWidth
            #expect(worstDifference(Array(dispatched[..<count]), portable[..<count].map(Double.init)) <= 1e-5, "\(c)")
            #expect(dispatched[count...].allSatisfy { $0.isNaN }, "\(c): nothing written past the plane")
        }
    }

    @Test("sigmoid and SiLU (vector and portable) equal Double references, NaN and extremes included")
    func sigmoidAndSiLU() {
        var values: [Float] = stride(from: -100, through: 100, by: 0.37).map { Float($0) }
        values += [0, -0.0, 1e-30, -1e-30, 88, -88, 89, -89, 1e30, -1e30, .infinity, -.infinity]
        values += Array(repeating: 1.5, count: 5)  // a partial final vector
        let count = values.count
        var sigmoid = [Float](repeating: 0, count: count), silu = sigmoid
        var sigmoidPortable = sigmoid, siluPortable = sigmoid
        gl_sigmoid(values, &sigmoid, count)
        gl_silu(values, &silu, count)
        gl_sigmoid_portable(values, &sigmoidPortable, count)
        gl_silu_portable(values, &siluPortable, count)
        for (i, x) in values.enumerated() {
            let s = 1 / (1 + Foundation.exp(-Double(x)))
            for (name, got, want) in [("sigmoid", sigmoid[i], s), ("sigmoid portable", sigmoidPortable[i], s),
                                      ("silu", silu[i], Double(x) * s), ("silu portable", siluPortable[i], Double(x) * s)] {
                let error = Swift.abs(Double(got) - want)
                #expect(Double(got) == want || error <= 2e-7 * Swift.max(1, Swift.abs(want)) || (want.isNaN && got.isNaN),
                        "\(name)(\(x)) = \(got), expected \(want)")
            }
        }
        var nan = [Float](repeating: 0, count: 1)
        gl_silu([.nan], &nan, 1)
        #expect(nan[0].isNaN)
        gl_sigmoid([.nan], &nan, 1)
        #expect(nan[0].isNaN)
    }

    @Test("fused SiLU and sigmoid epilogues equal conv2d then the activation; gradients match on the tape")
    func fusedActivations() {
        var generator = SeededGenerator(seed: 11)
        let x = Tensor.randomNormal(shape: [2, 5, 9, 13], using: &generator)
        let w = Tensor.randomNormal(shape: [6, 5, 3, 3], using: &generator) * 0.3
        let b = Tensor.randomNormal(shape: [6], using: &generator)
        let depthwise = Tensor.randomNormal(shape: [5, 1, 3, 3], using: &generator)
        for activation in [ConvolutionActivation.silu, .sigmoid, .relu] {
            func unfused(_ z: Tensor) -> Tensor {
                switch activation {
                case .silu: z.silu()
                case .sigmoid: z.sigmoid()
                case .relu: z.relu()
                }
            }
            let fused = GradientMode.withoutRecording {
                x.conv2d(weight: w, bias: b, padding: Padding2D(1), activation: activation)
            }
            let reference = GradientMode.withoutRecording { unfused(x.conv2d(weight: w, bias: b, padding: Padding2D(1))) }
            #expect(worstDifference(fused.scalars, reference.scalars.map(Double.init)) <= 1e-6, "\(activation)")
            let fusedDepthwise = GradientMode.withoutRecording {
                x.conv2d(weight: depthwise, stride: (2, 2), padding: Padding2D(1), groups: 5, activation: activation)
            }
            let referenceDepthwise = GradientMode.withoutRecording {
                unfused(x.conv2d(weight: depthwise, stride: (2, 2), padding: Padding2D(1), groups: 5))
            }
            #expect(worstDifference(fusedDepthwise.scalars, referenceDepthwise.scalars.map(Double.init)) <= 1e-6, "depthwise \(activation)")

            let input = x.requiringGradient()
            let onTape = gradients(of: input.conv2d(weight: w, bias: b, padding: Padding2D(1), activation: activation).sum(), wrt: [input])
            let separate = gradients(of: unfused(input.conv2d(weight: w, bias: b, padding: Padding2D(1))).sum(), wrt: [input])
            #expect(worstDifference(onTape[0].scalars, separate[0].scalars.map(Double.init)) <= 1e-6, "gradient \(activation)")
        }
    }

    @Test("Winograd inference convolutions (F(4x4)) and input-gradient convolutions (F(2x2)) equal a Double reference and the im2col path",
          arguments: [([2, 16, 17, 19], 1, 1, 1, 1), ([1, 24, 20, 18], 0, 0, 0, 0), ([1, 16, 18, 21], 2, 1, 0, 2)])
    func winograd(_ shape: [Int], _ top: Int, _ left: Int, _ bottom: Int, _ right: Int) {
        var generator = SeededGenerator(seed: 13)
        let x = Tensor.randomNormal(shape: shape, using: &generator)
        let w = Tensor.randomNormal(shape: [20, shape[1], 3, 3], using: &generator) * 0.2
        let b = Tensor.randomNormal(shape: [20], using: &generator)
        let padding = Padding2D(top: top, left: left, bottom: bottom, right: right)
        let geometry = ConvGeometry(op: "test", input: shape, weight: w.shape, stride: (1, 1), padding: padding,
                                    dilation: (1, 1), groups: 1)
        #expect(WinogradConvKernel.applies(to: geometry) == ConvForwardKernel.winogradEnabled)
        let reference = referenceConv(x, w, b, padding: padding).map { Swift.max($0, 0) }
        // F(4x4)'s rounding is about 1e-6 of the outputs' scale, ten times F(2x2)'s.
        let tolerance = 1e-5 * Swift.max(1, reference.max() ?? 1)
        let inference = GradientMode.withoutRecording { x.conv2d(weight: w, bias: b, padding: padding, activation: .relu) }
        let again = GradientMode.withoutRecording { x.conv2d(weight: w, bias: b, padding: padding, activation: .relu) }
        #expect(inference.scalars == again.scalars, "the cached filter transform gives the same result")
        let taped = x.requiringGradient().conv2d(weight: w, bias: b, padding: padding, activation: .relu)
        #expect(inference.shape == taped.shape)
        #expect(worstDifference(inference.scalars, taped.scalars.map(Double.init)) <= tolerance)
        #expect(worstDifference(inference.scalars, reference) <= tolerance)
        let f2x2 = ConvForwardKernel.run(input: x, weight: w, geometry: geometry, epilogue: ConvEpilogue(bias: b, activation: .relu),
                                         allowWinograd: true, winogradTile: .f2x2)
        #expect(worstDifference(f2x2.scalars, reference) <= 1e-5)
        // An in-place change of the weights drops the cached transforms.
        var changed = w
        changed.withUnsafeMutableBufferPointer { $0[0] += 1 }
        let updated = GradientMode.withoutRecording { x.conv2d(weight: changed, bias: b, padding: padding, activation: .relu) }
        let expected = referenceConv(x, changed, b, padding: padding).map { Swift.max($0, 0) }
        #expect(worstDifference(updated.scalars, expected) <= tolerance)
        let updatedF2x2 = ConvForwardKernel.run(input: x, weight: changed, geometry: geometry,
                                                epilogue: ConvEpilogue(bias: b, activation: .relu), allowWinograd: true,
                                                winogradTile: .f2x2)
        #expect(worstDifference(updatedF2x2.scalars, expected) <= 1e-5)
    }

    @Test("a per-channel gate ([N, C, 1, 1] times [N, C, H, W]) broadcasts plane by plane, both ways")
    func perPlaneBroadcast() {
        var generator = SeededGenerator(seed: 5)
        let x = Tensor.randomNormal(shape: [2, 3, 4, 5], using: &generator)
        let gate = Tensor.randomNormal(shape: [2, 3, 1, 1], using: &generator)
        let left = x * gate, right = gate * x
        for n in 0..<2 {
            for c in 0..<3 {
                for i in 0..<20 {
                    let at = (n * 3 + c) * 20 + i
                    #expect(left.scalars[at] == x.scalars[at] * gate.scalars[n * 3 + c])
                    #expect(right.scalars[at] == left.scalars[at])
                }
            }
        }
        let input = x.requiringGradient(), g = gate.requiringGradient()
        let grads = gradients(of: (input * g).sum(), wrt: [input, g])
        #expect(grads[1].shape == [2, 3, 1, 1])
        #expect(Swift.abs(grads[1].scalars[4] - x.scalars[80..<100].reduce(0, +)) <= 1e-5)
    }
}

/// Direct depthwise convolution in Double (weight `[C * multiplier, 1, k, k]`, symmetric padding).
private func referenceDepthwise(_ x: Tensor, _ w: Tensor, _ b: Tensor, stride: Int, dilation: Int, padding: Int) -> [Double] {
    let (n, c, h, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outChannels, k) = (w.shape[0], w.shape[2])
    let multiplier = outChannels / c
    let outH = (h + 2 * padding - dilation * (k - 1) - 1) / stride + 1
    let outW = (width + 2 * padding - dilation * (k - 1) - 1) / stride + 1
    let xs = x.scalars, ws = w.scalars, bs = b.scalars
    var out = [Double](repeating: 0, count: n * outChannels * outH * outW)
    for image in 0..<n {
        for oc in 0..<outChannels {
            let ic = oc / multiplier
            for oy in 0..<outH {
                for ox in 0..<outW {
                    var total = Double(bs[oc])
                    for ky in 0..<k {
                        for kx in 0..<k {
                            let iy = oy * stride - padding + ky * dilation, ix = ox * stride - padding + kx * dilation
                            guard iy >= 0, iy < h, ix >= 0, ix < width else { continue }
                            total += Double(ws[(oc * k + ky) * k + kx]) * Double(xs[((image * c + ic) * h + iy) * width + ix])
                        }
                    }
                    out[((image * outChannels + oc) * outH + oy) * outW + ox] = total
                }
            }
        }
    }
    return out
}

/// Direct convolution in Double (groups 1, stride 1, no dilation).
private func referenceConv(_ x: Tensor, _ w: Tensor, _ b: Tensor, padding p: Padding2D) -> [Double] {
    let (n, c, h, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (outChannels, k) = (w.shape[0], w.shape[2])
    let outH = h + p.top + p.bottom - k + 1, outW = width + p.left + p.right - k + 1
    let xs = x.scalars, ws = w.scalars, bs = b.scalars
    var out = [Double](repeating: 0, count: n * outChannels * outH * outW)
    for image in 0..<n {
        for o in 0..<outChannels {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    var total = Double(bs[o])
                    for i in 0..<c {
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy - p.top + ky, ix = ox - p.left + kx
                                guard iy >= 0, iy < h, ix >= 0, ix < width else { continue }
                                total += Double(ws[((o * c + i) * k + ky) * k + kx]) * Double(xs[((image * c + i) * h + iy) * width + ix])
                            }
                        }
                    }
                    out[((image * outChannels + o) * outH + oy) * outW + ox] = total
                }
            }
        }
    }
    return out
}

private func worstDifference(_ a: [Float], _ b: [Double]) -> Double {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).map { Swift.abs(Double($0) - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
}
