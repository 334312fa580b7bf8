import GeoLensTensor
import GeoLensTestSupport
import Testing

@Suite("Core ops: arithmetic, math, reductions, layout, matmul")
struct CoreOpsTests {
    @Test("Forward and backward agree with PyTorch")
    func parityWithPyTorch() throws {
        try checkAgainstReference("core.json") { c, x in
            switch c.op {
            case "add": return x[0] + x[1]
            case "sub": return x[0] - x[1]
            case "mul": return x[0] * x[1]
            case "div": return x[0] / x[1]
            case "neg": return -x[0]
            case "exp": return x[0].exp()
            case "log": return x[0].log()
            case "sqrt": return x[0].sqrt()
            case "pow": return x[0].pow(Float(c.double("exponent")))
            case "abs": return x[0].abs()
            case "erf": return x[0].erf()
            case "sum": return x[0].sum()
            case "mean": return x[0].mean()
            case "sum_axes": return x[0].sum(alongAxes: c.ints("axes"), keepingDimensions: c.bool("keep"))
            case "mean_axes": return x[0].mean(alongAxes: c.ints("axes"), keepingDimensions: c.bool("keep"))
            case "max_axis": return x[0].max(alongAxis: c.int("axis"), keepingDimension: c.bool("keep"))
            case "permute": return x[0].permuted(c.ints("order"))
            case "transpose": return x[0].transposed(c.int("a"), c.int("b"))
            case "reshape": return x[0].reshaped(c.ints("shape"))
            case "concat": return Tensor.concatenate(x, alongAxis: c.int("axis"))
            case "slice": return x[0].slice(alongAxis: c.int("axis"), start: c.int("start"), end: c.int("end"), step: c.int("step"))
            case "split_part": return x[0].split(sizes: c.ints("sizes"), alongAxis: c.int("axis"))[c.int("part")]
            case "matmul": return x[0].matmul(x[1])
            case "linear": return x[0].linear(weight: x[1], bias: x[2])
            default: return nil
            }
        }
    }

    @Test func broadcastingArithmeticGradients() {
        let a = randomTensor([2, 3, 4], seed: 1), b = randomTensor([3, 1], seed: 2)
        checkGradients([a, b]) { $0[0] + $0[1] }
        checkGradients([a, b]) { $0[0] - $0[1] }
        checkGradients([a, b]) { $0[0] * $0[1] }
        checkGradients([a, b.mapScalars { abs($0) + 1 }]) { $0[0] / $0[1] }
        checkGradients([a]) { -$0[0] * 3 + 2 }
        checkGradients([a]) { 1 - $0[0] / 4 }
    }

    @Test func elementwiseMathGradients() {
        let x = randomTensor([3, 5], seed: 3)
        let positive = x.mapScalars { abs($0) + 0.5 }
        checkGradients([x]) { $0[0].exp() }
        checkGradients([positive]) { $0[0].log() }
        checkGradients([positive]) { $0[0].sqrt() }
        checkGradients([positive]) { $0[0].pow(1.7) }
        checkGradients([x]) { $0[0].squared() }
        checkGradients([randomTensor([3, 5], seed: 4, awayFromZero: 0.1)]) { $0[0].abs() }
        checkGradients([x]) { $0[0].erf() }
    }

    @Test func reductionGradients() {
        let x = randomTensor([2, 3, 4, 2], seed: 5)
        checkGradients([x]) { $0[0].sum() }
        checkGradients([x]) { $0[0].mean() }
        checkGradients([x]) { $0[0].sum(alongAxes: [0, 2]) }
        checkGradients([x]) { $0[0].mean(alongAxes: [1, 3], keepingDimensions: true) }
        checkGradients([x]) { $0[0].max(alongAxis: 2) }
    }

    @Test func layoutGradients() {
        let x = randomTensor([2, 3, 4], seed: 6)
        checkGradients([x]) { $0[0].permuted([2, 0, 1]) }
        checkGradients([x]) { $0[0].transposed() }
        checkGradients([x]) { $0[0].reshaped([4, -1]) }
        checkGradients([x, randomTensor([2, 1, 4], seed: 7)]) { Tensor.concatenate($0, alongAxis: 1) }
        checkGradients([x]) { $0[0].slice(alongAxis: 2, start: 1, end: 4, step: 2) }
        checkGradients([x]) { $0[0].split(sizes: [2, 1], alongAxis: 1)[0] * 2 }
    }

    @Test func matmulGradients() {
        checkGradients([randomTensor([3, 4], seed: 8), randomTensor([4, 2], seed: 9)]) { $0[0].matmul($0[1]) }
        checkGradients([randomTensor([2, 3, 4], seed: 10), randomTensor([2, 4, 2], seed: 11)]) { $0[0].matmul($0[1]) }
        checkGradients([randomTensor([2, 5], seed: 12), randomTensor([3, 5], seed: 13), randomTensor([3], seed: 14)]) {
            $0[0].linear(weight: $0[1], bias: $0[2])
        }
    }

    @Test("Gradients reach intermediate values and unused inputs get zeros")
    func intermediateGradients() {
        let x = randomTensor([2, 3], seed: 15).requiringGradient()
        let unused = randomTensor([4], seed: 16).requiringGradient()
        let hidden = x * 3
        let y = (hidden * hidden).sum()
        let grads = gradients(of: y, wrt: [hidden, x, unused])
        #expect(grads[0].scalars == hidden.scalars.map { 2 * $0 })
        #expect(zip(grads[1].scalars, x.scalars).allSatisfy { abs($0 - 18 * $1) < 1e-4 })
        #expect(grads[2].scalars == [0, 0, 0, 0])
    }

    @Test("Copy-on-write keeps values captured by the tape intact")
    func copyOnWrite() {
        var a = Tensor(shape: [3], scalars: [1, 2, 3])
        let b = a
        a.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(b.scalars == [1, 2, 3])
        #expect(a.scalars == [10, 2, 3])
    }

    @Test("Recording can be switched off")
    func noRecording() {
        let x = randomTensor([2], seed: 17).requiringGradient()
        let y = GradientMode.withoutRecording { x * 2 }
        #expect(!y.requiresGradient)
        #expect((x * 2).requiresGradient)
    }

    @Test("The seeded generator is reproducible")
    func seededGenerator() {
        var g1 = SeededGenerator(seed: 42), g2 = SeededGenerator(seed: 42)
        let a = Tensor.randomNormal(shape: [100], using: &g1), b = Tensor.randomNormal(shape: [100], using: &g2)
        #expect(a.scalars == b.scalars)
        let mean = a.scalars.reduce(0, +) / 100
        #expect(abs(mean) < 0.3)
    }
}
