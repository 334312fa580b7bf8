import CGeoLensKernels
import Foundation
@testable import GeoLensTensor
import GeoLensTestSupport
import Testing

/// The kernels behind one-image latency: padded depthwise planes taken in channel blocks, the
/// plane sums of global average pooling, whole-factor nearest upsampling and the matrix-vector
/// path of 1 x 1 convolutions on 1 x 1 maps; each against a reference, and bit-identical across
/// thread counts and batch compositions.
@Suite("Batch-1 kernels: padded planes, plane sums, nearest repeat, single-pixel convolutions")
struct BatchOneKernelTests {
    @Test("gl_pad_plane writes the padded plane and its zero slack, the same from both bodies")
    func padPlane() {
        var generator = SeededGenerator(seed: 21)
        // (input height, width, top, left, padded width, height): padding on every side, a plane
        // narrower than the padded width, one wider (cut), and a width that is not a multiple of 8.
        let cases = [(8, 8, 2, 2, 12, 12), (5, 13, 1, 1, 24, 7), (6, 30, 0, 1, 17, 6), (3, 3, 2, 3, 9, 8), (16, 16, 1, 1, 25, 18)]
        for (h, w, top, left, width, height) in cases {
            let src = Tensor.randomNormal(shape: [h * w], using: &generator).scalars
            let count = width * height + 16
            var dispatched = [Float](repeating: .nan, count: count + 8), portable = dispatched
            gl_pad_plane(src, Int32(h), Int32(w), Int32(top), Int32(left), &dispatched, Int32(width), Int32(height))
            gl_pad_plane_portable(src, Int32(h), Int32(w), Int32(top), Int32(left), &portable, Int32(width), Int32(height))
            var expected = [Float](repeating: 0, count: count)
            for row in 0..<height {
                let iy = row - top
                guard iy >= 0, iy < h else { continue }
                for column in left..<Swift.min(width, left + w) { expected[row * width + column] = src[iy * w + column - left] }
            }
            #expect(Array(dispatched[..<count]) == expected, "\((h, w, top, left, width, height))")
            #expect(Array(portable[..<count]) == expected, "\((h, w, top, left, width, height))")
            #expect(dispatched[count...].allSatisfy { $0.isNaN }, "nothing written past the slack")
        }
    }

    @Test("gl_sum gives the same bits from both bodies and the sum to double rounding")
    func planeSums() {
        var generator = SeededGenerator(seed: 22)
        for count in [0, 1, 7, 16, 17, 64, 255, 4096, 16_387] {
            let x = Tensor.randomNormal(shape: [Swift.max(count, 1)], using: &generator).scalars
            let dispatched = gl_sum(x, count), portable = gl_sum_portable(x, count)
            #expect(dispatched.bitPattern == portable.bitPattern, "\(count)")
            let exact = x[..<count].reduce(0.0) { $0 + Double($1) }
            #expect(Swift.abs(dispatched - exact) <= 1e-9 * Swift.max(1, Double(count)), "\(count)")
        }
        let planes = Tensor.randomNormal(shape: [2, 3, 7, 9], using: &generator)
        let pooled = planes.globalAvgPool2d()
        for p in 0..<6 {
            let mean = planes.scalars[p * 63..<(p + 1) * 63].reduce(0.0) { $0 + Double($1) } / 63
            #expect(Swift.abs(Double(pooled.scalars[p]) - mean) <= 1e-6)
        }
    }

    @Test("nearest upsampling by whole factors repeats every value", arguments: [2, 3])
    func nearestRepeat(_ factor: Int) {
        var generator = SeededGenerator(seed: 23)
        let x = Tensor.randomNormal(shape: [2, 3, 5, 19], using: &generator)
        let y = x.resized(height: 5 * factor, width: 19 * factor, mode: .nearest(.floor), coordinates: .asymmetric)
        for p in 0..<6 {
            for oy in 0..<5 * factor {
                for ox in 0..<19 * factor {
                    #expect(y.scalars[(p * 5 * factor + oy) * 19 * factor + ox] == x.scalars[(p * 5 + oy / factor) * 19 + ox / factor])
                }
            }
        }
        #expect(ResizeAxis.onnx(input: 4, output: 8, scale: nil, mode: .nearest(.floor), transform: .asymmetric).repeatFactor(input: 4) == 2)
        #expect(ResizeAxis.onnx(input: 4, output: 6, scale: nil, mode: .nearest(.floor), transform: .asymmetric).repeatFactor(input: 4) == nil)
    }

    @Test("depthwise convolutions of small planes in channel blocks: reference, thread counts and batches")
    func depthwiseChannelBlocks() {
        var generator = SeededGenerator(seed: 24)
        // 8 x 8 planes: 32 channels per unit, so 70 channels make three units (the last partial).
        for (shape, kernel, stride) in [([3, 70, 8, 8], 5, 1), ([2, 40, 16, 16], 3, 2), ([2, 9, 4, 4], 3, 1)] {
            let channels = shape[1]
            let x = Tensor.randomNormal(shape: shape, using: &generator)
            let w = Tensor.randomNormal(shape: [channels, 1, kernel, kernel], using: &generator)
            let b = Tensor.randomNormal(shape: [channels], using: &generator)
            let padding = Padding2D(kernel / 2)
            func run(_ input: Tensor) -> Tensor {
                GradientMode.withoutRecording {
                    input.conv2d(weight: w, bias: b, stride: (stride, stride), padding: padding, groups: channels, activation: .silu)
                }
            }
            let serial = Parallel.withThreadCount(1) { run(x) }
            for threads in [2, 3] {
                #expect(Parallel.withThreadCount(threads) { run(x) }.scalars == serial.scalars, "\(shape), \(threads) threads")
            }
            let last = x.slice(alongAxis: 0, start: shape[0] - 1, end: shape[0])
            let alone = Parallel.withThreadCount(2) { run(last) }
            #expect(alone.scalars == Array(serial.scalars.suffix(alone.count)), "\(shape): the last image alone")
            let plain = GradientMode.withoutRecording {
                x.conv2d(weight: w, bias: b, stride: (stride, stride), padding: padding, groups: channels).silu()
            }
            #expect(plain.scalars == serial.scalars, "\(shape): fused epilogue equals conv then SiLU")
        }
    }

    @Test("1 x 1 convolutions of 1 x 1 maps: reference, activations, batches and the taped path")
    func singlePixelConvolutions() {
        var generator = SeededGenerator(seed: 25)
        let x = Tensor.randomNormal(shape: [3, 45, 1, 1], using: &generator)
        let w = Tensor.randomNormal(shape: [19, 45, 1, 1], using: &generator) * 0.3
        let b = Tensor.randomNormal(shape: [19], using: &generator)
        let geometry = ConvGeometry(op: "test", input: x.shape, weight: w.shape, stride: (1, 1), padding: .zero,
                                    dilation: (1, 1), groups: 1)
        #expect(SinglePixelConvKernel.applies(to: geometry))
        let inference = GradientMode.withoutRecording { x.conv2d(weight: w, bias: b) }
        var expected = [Double](repeating: 0, count: 3 * 19)
        for n in 0..<3 {
            for o in 0..<19 {
                expected[n * 19 + o] = Double(b.scalars[o])
                    + (0..<45).reduce(0.0) { $0 + Double(w.scalars[o * 45 + $1]) * Double(x.scalars[n * 45 + $1]) }
            }
        }
        #expect(zip(inference.scalars, expected).allSatisfy { Swift.abs(Double($0) - $1) <= 1e-5 })
        let alone = GradientMode.withoutRecording { x.slice(alongAxis: 0, start: 1, end: 2).conv2d(weight: w, bias: b) }
        #expect(alone.scalars == Array(inference.scalars[19..<38]), "an image alone equals it in a batch")
        for activation in [ConvolutionActivation.silu, .sigmoid, .relu] {
            let fused = GradientMode.withoutRecording { x.conv2d(weight: w, bias: b, activation: activation) }
            let separate: Tensor = switch activation {
            case .silu: inference.silu()
            case .sigmoid: inference.sigmoid()
            case .relu: inference.relu()
            }
            #expect(fused.scalars == separate.scalars, "\(activation)")
        }
        let taped = x.requiringGradient().conv2d(weight: w, bias: b)
        #expect(zip(taped.scalars, inference.scalars).allSatisfy { Swift.abs($0 - $1) <= 1e-5 })
    }
}
