import CGeoLensKernels
import Foundation
@testable import GeoLensTensor
import Testing

/// Winograd F(4x4, 3x3), the tile of inference convolutions: accuracy against a Double direct
/// convolution, the AVX-512 transforms against the portable ones, and the same bits whatever the
/// batch or thread count.
@Suite("Winograd F(4x4, 3x3)")
struct WinogradF4x4Tests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let input: [Int], outChannels: Int
        var padding = Padding2D(1)
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "70 wide: several vectors of tiles and a partial one", input: [1, 16, 9, 70], outChannels: 20),
        Case(name: "16 x 16, 64 channels: tile rows share vectors, output channel blocks", input: [2, 64, 16, 16], outChannels: 96),
        Case(name: "17 x 19: partial tiles at both edges", input: [2, 16, 17, 19], outChannels: 20),
        Case(name: "asymmetric padding", input: [1, 24, 18, 21], outChannels: 20,
             padding: Padding2D(top: 2, left: 1, bottom: 0, right: 2)),
        Case(name: "no padding, 256 input channels", input: [1, 256, 20, 18], outChannels: 32, padding: .zero),
        Case(name: "3 output channels (a segmentation head)", input: [2, 16, 32, 32], outChannels: 3),
    ]

    @Test("inference convolutions equal a Double direct convolution", arguments: cases)
    func matchesReference(_ c: Case) throws {
        var generator = SeededGenerator(seed: 21)
        let x = Tensor.randomNormal(shape: c.input, using: &generator)
        let scale = 1 / Float(9 * c.input[1]).squareRoot()
        let w = Tensor.randomNormal(shape: [c.outChannels, c.input[1], 3, 3], using: &generator) * scale
        let b = Tensor.randomNormal(shape: [c.outChannels], using: &generator)
        let geometry = ConvGeometry(op: "test", input: c.input, weight: w.shape, stride: (1, 1), padding: c.padding,
                                    dilation: (1, 1), groups: 1)
        try #require(WinogradConvKernel.applies(to: geometry, tile: .f4x4) || !ConvForwardKernel.winogradEnabled)
        let reference = directConvolution(x, w, b, padding: c.padding)
        let largest = reference.map(Swift.abs).max() ?? 1
        for activation in [ConvolutionActivation.relu, .silu] {
            let y = GradientMode.withoutRecording { x.conv2d(weight: w, bias: b, padding: c.padding, activation: activation) }
            let expected = reference.map { activation == .relu ? Swift.max($0, 0) : $0 / (1 + Foundation.exp(-$0)) }
            #expect(y.shape == geometry.outputShape)
            // F(4x4)'s rounding: up to 9e-6 of the outputs' scale here (256 input channels), about
            // ten times F(2x2)'s; it grows slowly with the channel count.
            let worst = zip(y.scalars, expected).map { Swift.abs(Double($0) - $1) }.max() ?? 0
            #expect(worst <= 2e-5 * largest, "\(activation): \(worst) on outputs up to \(largest)")
        }
    }

    @Test("the AVX-512 transforms give the portable transforms' bits")
    func vectorMatchesPortable() {
        var generator = SeededGenerator(seed: 5)
        // 37 wide: 10 tile columns, so a vector of tiles spans parts of two tile rows.
        let (channels, height, width) = (3, 13, 37)
        let tilesX = (width + 3) / 4, tilesY = (height + 3) / 4, tiles = tilesX * tilesY
        let image = Tensor.randomNormal(shape: [channels, height, width], using: &generator).scalars
        let stride = channels * tiles + 16
        var vector = [Float](repeating: 0, count: 36 * stride), portable = vector
        gl_winograd_f4x4_input(image, Int32(channels), Int32(height), Int32(width), 1, 1, 0, Int32(tilesY), Int32(tilesX),
                               &vector, stride)
        gl_winograd_f4x4_input_portable(image, Int32(channels), Int32(height), Int32(width), 1, 1, 0, Int32(tilesY),
                                        Int32(tilesX), &portable, stride)
        #expect(vector == portable)
        let products = Tensor.randomNormal(shape: [36 * stride], using: &generator).scalars
        let bias: [Float] = [0.5, -0.25, 1]
        for relu: Int32 in [0, 1] {
            var out = [Float](repeating: .nan, count: channels * height * width), outPortable = out
            gl_winograd_f4x4_output(products, stride, Int32(channels), 0, Int32(tilesY), Int32(tilesX), bias, relu, &out,
                                    height * width, Int32(height), Int32(width))
            gl_winograd_f4x4_output_portable(products, stride, Int32(channels), 0, Int32(tilesY), Int32(tilesX), bias, relu,
                                             &outPortable, height * width, Int32(height), Int32(width))
            #expect(out == outPortable)
            #expect(!out.contains { $0.isNaN }, "every output written")
        }
    }

    @Test("an image's output is the same alone, in a batch, on 1 or 2 threads")
    func batchAndThreadIdentity() {
        var generator = SeededGenerator(seed: 8)
        let x = Tensor.randomNormal(shape: [3, 32, 40, 36], using: &generator)
        let w = Tensor.randomNormal(shape: [48, 32, 3, 3], using: &generator) * 0.06
        let b = Tensor.randomNormal(shape: [48], using: &generator)
        func run(_ input: Tensor, threads: Int) -> Tensor {
            Parallel.withThreadCount(threads) {
                GradientMode.withoutRecording { input.conv2d(weight: w, bias: b, padding: Padding2D(1), activation: .relu) }
            }
        }
        let batch = run(x, threads: 2)
        #expect(run(x, threads: 1).scalars == batch.scalars)
        let size = batch.count / 3
        for n in 0..<3 {
            let alone = run(x.slice(alongAxis: 0, start: n, end: n + 1), threads: 2)
            #expect(alone.scalars == Array(batch.scalars[n * size..<(n + 1) * size]))
        }
    }
}

/// Direct convolution in Double (groups 1, stride 1, no dilation).
private func directConvolution(_ x: Tensor, _ w: Tensor, _ b: Tensor, padding p: Padding2D) -> [Double] {
    let (n, c, h, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let outChannels = w.shape[0]
    let outH = h + p.top + p.bottom - 2, outW = width + p.left + p.right - 2
    let xs = x.scalars, ws = w.scalars, bs = b.scalars
    var out = [Double](repeating: 0, count: n * outChannels * outH * outW)
    for image in 0..<n {
        for o in 0..<outChannels {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    var total = Double(bs[o])
                    for i in 0..<c {
                        for ky in 0..<3 {
                            let iy = oy - p.top + ky
                            guard iy >= 0, iy < h else { continue }
                            for kx in 0..<3 {
                                let ix = ox - p.left + kx
                                guard ix >= 0, ix < width else { continue }
                                total += Double(ws[((o * c + i) * 3 + ky) * 3 + kx]) * Double(xs[((image * c + i) * h + iy) * width + ix])
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
