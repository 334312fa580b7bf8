@testable import GeoLensTensor
import GeoLensTestSupport
import Testing

/// The Winograd F(2x2, 3x3) weight gradient against a Double reference and the exact im2col GEMM,
/// and its bits across thread counts and chunkings.
@Suite("Winograd weight gradient of 3x3 stride-1 convolutions")
struct WinogradWeightGradientTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let input: [Int], outChannels: Int
        var padding = Padding2D(1)
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "even 16 x 16, padding 1, batch 2", input: [2, 16, 16, 16], outChannels: 16),
        Case(name: "odd 17 x 19, padding 1, 24 -> 20 channels", input: [2, 24, 17, 19], outChannels: 20),
        Case(name: "odd 15 x 21, padding 0", input: [2, 16, 15, 21], outChannels: 18, padding: .zero),
        Case(name: "asymmetric padding, 18 x 13", input: [3, 17, 18, 13], outChannels: 16,
             padding: Padding2D(top: 2, left: 0, bottom: 1, right: 2)),
        Case(name: "tiny maps summed over a batch of 9", input: [9, 16, 5, 7], outChannels: 16),
    ]

    @Test("equals a Double reference and the im2col GEMM within rounding", arguments: cases)
    func matchesExactGradient(_ c: Case) throws {
        let (x, dy, g) = Self.operands(c, seed: 3)
        #expect(WinogradWeightGradientKernel.applies(to: g) == ConvForwardKernel.winogradEnabled)
        let winograd = ConvGradientKernels.weightGradient(input: x, outputGradient: dy, geometry: g)
        let exact = ConvGradientKernels.weightGradient(input: x, outputGradient: dy, geometry: g, allowWinograd: false)
        let reference = Self.referenceWeightGradient(x, dy, g)
        #expect(winograd.shape == g.weightShape)
        // Sums over a few hundred to a few thousand pixels: the im2col GEMM itself is off by up
        // to about 2e-5 of max(1, |reference|).
        #expect(Self.worstDifference(winograd.scalars, reference) <= 5e-5)
        #expect(Self.worstDifference(exact.scalars, reference) <= 5e-5)
    }

    @Test("the same bits on 1, 2 and 3 threads, and through the tape; the im2col path too")
    func threadCountIdentity() {
        let c = Case(name: "odd", input: [3, 32, 23, 17], outChannels: 24)
        let (x, dy, g) = Self.operands(c, seed: 5)
        let one = Parallel.withThreadCount(1) { ConvGradientKernels.weightGradient(input: x, outputGradient: dy, geometry: g) }
        let exactOne = Parallel.withThreadCount(1) {
            ConvGradientKernels.weightGradient(input: x, outputGradient: dy, geometry: g, allowWinograd: false)
        }
        for threads in [2, 3] {
            let many = Parallel.withThreadCount(threads) {
                ConvGradientKernels.weightGradient(input: x, outputGradient: dy, geometry: g)
            }
            #expect(many.scalars.elementsEqual(one.scalars), "\(threads) threads")
            let exactMany = Parallel.withThreadCount(threads) {
                ConvGradientKernels.weightGradient(input: x, outputGradient: dy, geometry: g, allowWinograd: false)
            }
            #expect(exactMany.scalars.elementsEqual(exactOne.scalars), "im2col, \(threads) threads")
        }
        var rng = SeededGenerator(seed: 7)
        let w = Tensor.randomNormal(shape: g.weightShape, std: 0.1, using: &rng).requiringGradient()
        let taped = Parallel.withThreadCount(2) {
            gradients(of: x.conv2d(weight: w, padding: c.padding), seed: dy, wrt: [w])[0]
        }
        #expect(taped.scalars.elementsEqual(one.scalars))
    }

    @Test("chunks that span images give the exact gradient, and the same bits on any thread count")
    func chunksSpanningImages() {
        // 5 x 7 outputs: 3 tile rows per image; chunks of 2 and 4 tile rows cut through images.
        let c = Case(name: "small maps", input: [4, 16, 5, 7], outChannels: 16)
        let (x, dy, g) = Self.operands(c, seed: 11)
        let reference = Self.referenceWeightGradient(x, dy, g)
        for rows in [1, 2, 4, 12] {
            var results: [[Float]] = []
            for threads in [1, 2] {
                let result = Parallel.withThreadCount(threads) {
                    Tensor(shape: g.weightShape) { out in
                        x.withUnsafeBufferPointer { xb in
                            dy.withUnsafeBufferPointer { dyb in
                                WinogradWeightGradientKernel.run(input: xb.baseAddress!, outputGradient: dyb.baseAddress!,
                                                                 result: out.baseAddress!, g, tileRowsPerChunk: rows)
                            }
                        }
                    }
                }
                results.append(result.scalars)
            }
            #expect(results[0].elementsEqual(results[1]), "\(rows) tile rows per chunk")
            #expect(Self.worstDifference(results[0], reference) <= 5e-5, "\(rows) tile rows per chunk")
        }
    }

    @Test("the transposed convolution's weight gradient (the same kernel, activations swapped) on the tape")
    func transposedConvolution() {
        var rng = SeededGenerator(seed: 17)
        let t = Tensor.randomNormal(shape: [2, 16, 11, 14], using: &rng)
        let w = (Tensor.randomNormal(shape: [16, 20, 3, 3], using: &rng) * 0.1).requiringGradient()
        let z = t.convTranspose2d(weight: w, padding: Padding2D(1))
        let seed = Tensor.randomNormal(shape: z.shape, using: &rng)
        let dw = gradients(of: z, seed: seed, wrt: [w])[0]
        // Its forward geometry maps the transposed output to the transposed input.
        let g = ConvGeometry(op: "test", input: z.shape, weight: w.shape, stride: (1, 1), padding: Padding2D(1),
                             dilation: (1, 1), groups: 1)
        #expect(WinogradWeightGradientKernel.applies(to: g) == ConvForwardKernel.winogradEnabled)
        #expect(Self.worstDifference(dw.scalars, Self.referenceWeightGradient(seed, t, g)) <= 5e-5)
    }

    @Test("few channels, strides, dilations and groups stay on the im2col GEMM")
    func fallbacks() {
        func geometry(_ input: [Int], _ weight: [Int], stride: Int = 1, dilation: Int = 1, groups: Int = 1) -> ConvGeometry {
            ConvGeometry(op: "test", input: input, weight: weight, stride: (stride, stride), padding: Padding2D(1),
                         dilation: (dilation, dilation), groups: groups)
        }
        let enabled = ConvForwardKernel.winogradEnabled
        #expect(WinogradWeightGradientKernel.applies(to: geometry([1, 16, 16, 16], [16, 16, 3, 3])) == enabled)
        #expect(!WinogradWeightGradientKernel.applies(to: geometry([1, 8, 16, 16], [16, 8, 3, 3])))
        #expect(!WinogradWeightGradientKernel.applies(to: geometry([1, 16, 16, 16], [8, 16, 3, 3])))
        #expect(!WinogradWeightGradientKernel.applies(to: geometry([1, 16, 16, 16], [16, 16, 3, 3], stride: 2)))
        #expect(!WinogradWeightGradientKernel.applies(to: geometry([1, 16, 16, 16], [16, 16, 3, 3], dilation: 2)))
        #expect(!WinogradWeightGradientKernel.applies(to: geometry([1, 32, 16, 16], [32, 16, 3, 3], groups: 2)))
        #expect(!WinogradWeightGradientKernel.applies(to: geometry([1, 16, 16, 16], [16, 16, 5, 5])))
        #expect(!WinogradWeightGradientKernel.applies(to: geometry([1, 16, 8, 8], [16, 16, 3, 3])))
        // A small-channel case: the gradient is the im2col one, bit for bit.
        let c = Case(name: "8 channels", input: [2, 8, 9, 11], outChannels: 12)
        let (x, dy, g) = Self.operands(c, seed: 13)
        let chosen = ConvGradientKernels.weightGradient(input: x, outputGradient: dy, geometry: g)
        let exact = ConvGradientKernels.weightGradient(input: x, outputGradient: dy, geometry: g, allowWinograd: false)
        #expect(chosen.scalars.elementsEqual(exact.scalars))
        #expect(Self.worstDifference(chosen.scalars, Self.referenceWeightGradient(x, dy, g)) <= 1e-5)
    }

    /// An input, an output gradient and the geometry of a 3x3 stride-1 convolution.
    static func operands(_ c: Case, seed: UInt64) -> (Tensor, Tensor, ConvGeometry) {
        var rng = SeededGenerator(seed: seed)
        let g = ConvGeometry(op: "test", input: c.input, weight: [c.outChannels, c.input[1], 3, 3], stride: (1, 1),
                             padding: c.padding, dilation: (1, 1), groups: 1)
        let x = Tensor.randomNormal(shape: c.input, using: &rng)
        let dy = Tensor.randomNormal(shape: g.outputShape, using: &rng)
        return (x, dy, g)
    }

    /// `dW[o][i][ky][kx] = Σ dy[n][o][oy][ox] x[n][i][oy + ky - top][ox + kx - left]` in Double.
    static func referenceWeightGradient(_ x: Tensor, _ dy: Tensor, _ g: ConvGeometry) -> [Double] {
        let xs = x.scalars, dys = dy.scalars
        var out = [Double](repeating: 0, count: Shape.count(g.weightShape))
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                for i in 0..<g.inChannels {
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            var total = 0.0
                            for oy in 0..<g.outHeight {
                                let iy = oy + ky - g.padTop
                                guard iy >= 0 && iy < g.inHeight else { continue }
                                for ox in 0..<g.outWidth {
                                    let ix = ox + kx - g.padLeft
                                    guard ix >= 0 && ix < g.inWidth else { continue }
                                    total += Double(dys[((n * g.outChannels + o) * g.outHeight + oy) * g.outWidth + ox])
                                        * Double(xs[((n * g.inChannels + i) * g.inHeight + iy) * g.inWidth + ix])
                                }
                            }
                            out[((o * g.inChannels + i) * 3 + ky) * 3 + kx] += total
                        }
                    }
                }
            }
        }
        return out
    }

    /// Worst difference relative to `max(1, |reference|)`.
    static func worstDifference(_ a: [Float], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { Swift.abs(Double($0) - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
    }
}
