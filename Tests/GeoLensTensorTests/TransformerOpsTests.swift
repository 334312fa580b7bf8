import Foundation
import GeoLensTensor
import Testing

/// The ops transformer graphs add: broadcasting batched matrix products, row softmax, running
/// sums, tiling, triangular masks and index-tensor selection, forward against plain loops and
/// backward against finite differences.
@Suite("Transformer ops: values and gradients")
struct TransformerOpsTests {
    /// The NumPy product computed element by element.
    static func naiveProduct(_ a: Tensor, _ b: Tensor) -> [Float] {
        let (m, k, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1], b.shape[b.rank - 1])
        let batch = Shape.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)), op: "test")
        let ea = a.broadcast(to: batch + [m, k]).scalars, eb = b.broadcast(to: batch + [k, n]).scalars
        var out: [Float] = []
        for i in 0..<Shape.count(batch) {
            for r in 0..<m {
                for c in 0..<n {
                    var s: Float = 0
                    for j in 0..<k { s += ea[i * m * k + r * k + j] * eb[i * k * n + j * n + c] }
                    out.append(s)
                }
            }
        }
        return out
    }

    @Test("matmul broadcasts batch axes like NumPy", arguments: [
        ([2, 3, 5, 4], [2, 3, 4, 6]), ([1, 3, 5, 4], [2, 3, 4, 6]), ([2, 1, 5, 4], [1, 3, 4, 6]),
        ([5, 4], [2, 4, 6]), ([2, 3, 5, 4], [4, 6]), ([2, 70, 4], [4, 3]), ([3, 5, 4], [1, 4, 2]),
    ])
    func broadcastingProduct(shapes: ([Int], [Int])) {
        let a = randomTensor(shapes.0, seed: 1), b = randomTensor(shapes.1, seed: 2)
        let y = a.matmul(b)
        let expected = Self.naiveProduct(a, b)
        #expect(y.count == expected.count)
        let worst = zip(y.scalars, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4, "\(shapes): worst difference \(worst)")
        checkGradients([a, b]) { $0[0].matmul($0[1]) }
    }

    @Test("a product that starts from a bias row equals matmul plus the bias, with gradients")
    func productWithBias() {
        let a = randomTensor([2, 70, 4], seed: 15), w = randomTensor([4, 3], seed: 16), bias = randomTensor([3], seed: 17)
        let fused = a.matmul(w, addingRow: bias), separate = a.matmul(w) + bias
        #expect(zip(fused.scalars, separate.scalars).allSatisfy { abs($0 - $1) < 1e-5 })
        checkGradients([a, w, bias]) { $0[0].matmul($0[1], addingRow: $0[2]) }
    }

    @Test("matmul gives each image the same bits alone and in a batch, with any thread count")
    func productBatchInvariance() {
        let a = randomTensor([4, 130, 24], seed: 3), w = randomTensor([24, 40], seed: 4)
        let batch = Parallel.withThreadCount(2) { a.matmul(w) }
        let alone = Parallel.withThreadCount(1) { a.slice(alongAxis: 0, start: 2, end: 3).matmul(w) }
        #expect(batch.slice(alongAxis: 0, start: 2, end: 3).scalars == alone.scalars)
    }

    @Test("softmax along the last axis matches the general kernel and its gradient")
    func rowSoftmax() {
        let x = randomTensor([2, 3, 5, 7], seed: 5)
        let rows = x.softmax(alongAxis: -1)
        let reference = x.permuted([0, 1, 3, 2]).softmax(alongAxis: 2).permuted([0, 1, 3, 2])
        #expect(zip(rows.scalars, reference.scalars).allSatisfy { abs($0 - $1) < 1e-6 })
        checkGradients([x]) { $0[0].softmax(alongAxis: 3) }
        checkGradients([x]) { $0[0].logSoftmax(alongAxis: -1) }
    }

    @Test func cumulativeSums() {
        let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(x.cumulativeSum(alongAxis: 1).scalars == [1, 3, 6, 4, 9, 15])
        #expect(x.cumulativeSum(alongAxis: 1, exclusive: true).scalars == [0, 1, 3, 0, 4, 9])
        #expect(x.cumulativeSum(alongAxis: 1, reverse: true).scalars == [6, 5, 3, 15, 11, 6])
        #expect(x.cumulativeSum(alongAxis: 0, exclusive: true, reverse: true).scalars == [4, 5, 6, 0, 0, 0])
        let r = randomTensor([3, 4, 2], seed: 6)
        for (exclusive, reverse) in [(false, false), (true, false), (false, true), (true, true)] {
            checkGradients([r]) { $0[0].cumulativeSum(alongAxis: 1, exclusive: exclusive, reverse: reverse) }
        }
    }

    @Test func tilingAndTriangles() {
        let x = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        #expect(x.tiled([1, 2]).scalars == [1, 2, 1, 2, 3, 4, 3, 4])
        #expect(x.tiled([2, 1]).shape == [4, 2])
        let square = Tensor(shape: [3, 3], scalars: (1...9).map(Float.init))
        #expect(square.triangular(upper: true).scalars == [1, 2, 3, 0, 5, 6, 0, 0, 9])
        #expect(square.triangular(upper: false, diagonal: -1).scalars == [0, 0, 0, 4, 0, 0, 7, 8, 0])
        #expect(Tensor(shape: [2, 2], scalars: [-.infinity, 1, 2, -.infinity]).triangular(upper: true, diagonal: 1).scalars == [0, 1, 0, 0])
        let r = randomTensor([2, 3, 4], seed: 7)
        checkGradients([r]) { $0[0].tiled([2, 1, 3]) }
        checkGradients([r]) { $0[0].triangular(upper: true, diagonal: 1) }
    }

    @Test func elementSelection() {
        let data = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let indices = Tensor(shape: [2, 2], scalars: [2, 0, -1, 1])
        #expect(data.gatherElements(indices: indices, alongAxis: 1).scalars == [3, 1, 6, 5])
        let rows = Tensor(shape: [1, 3], scalars: [1, 0, 1])
        #expect(data.gatherElements(indices: rows, alongAxis: 0).scalars == [4, 2, 6])
        let repeated = Tensor(shape: [2, 3], scalars: [0, 0, 2, 1, 1, 1])
        checkGradients([randomTensor([2, 3], seed: 8)]) { $0[0].gatherElements(indices: repeated, alongAxis: 1) }

        let slots = Tensor(shape: [2, 1], scalars: [2, 0])
        let updates = Tensor(shape: [2, 3], scalars: [7, 8, 9, 10, 11, 12])
        let base = Tensor(shape: [3, 3], scalars: (1...9).map(Float.init))
        #expect(base.scatterND(indices: slots, updates: updates).scalars == [10, 11, 12, 4, 5, 6, 7, 8, 9])
        #expect(base.scatterND(indices: slots, updates: updates, accumulate: true).scalars == [11, 13, 15, 4, 5, 6, 14, 16, 18])
        for accumulate in [false, true] {
            checkGradients([randomTensor([3, 3], seed: 9), randomTensor([2, 3], seed: 10)]) {
                $0[0].scatterND(indices: slots, updates: $0[1], accumulate: accumulate)
            }
        }

        let mask = Tensor(shape: [1, 3], scalars: [1, 0, 1])
        let a = randomTensor([2, 3], seed: 11), b = randomTensor([2, 1], seed: 12)
        let chosen = a.selecting(where: mask, otherwise: b)
        #expect(chosen.scalars[1] == b.scalars[0] && chosen.scalars[0] == a.scalars[0])
        checkGradients([a, b]) { $0[0].selecting(where: mask, otherwise: $0[1]) }
        let masked = Tensor(shape: [2], scalars: [1, -.infinity]).requiringGradient()
        let picked = masked.selecting(where: Tensor(shape: [2], scalars: [1, 0]), otherwise: Tensor(0))
        let g = gradients(of: picked.sum(), wrt: [masked])[0]
        #expect(g.scalars == [1, 0])
    }

    @Test("permutations agree with index arithmetic through every copy loop", arguments: [
        ([2, 5, 3, 4, 6], [2, 0, 3, 1, 4]), ([2, 7, 33], [0, 2, 1]), ([3, 4, 5, 6], [0, 3, 1, 2]), ([2, 3, 4], [2, 1, 0]),
        ([1, 5, 1, 4], [3, 1, 2, 0]), ([4, 6], [1, 0]), ([2, 3, 4, 5], [0, 1, 2, 3]), ([2, 3, 4, 5], [1, 0, 2, 3]),
    ])
    func permutations(case: ([Int], [Int])) {
        let (shape, order) = `case`
        let x = randomTensor(shape, seed: 13)
        let y = x.permuted(order)
        let inStrides = Shape.strides(shape), outShape = order.map { shape[$0] }
        let values = x.scalars
        var expected: [Float] = []
        var index = [Int](repeating: 0, count: shape.count)
        for _ in 0..<x.count {
            expected.append(values[zip(index, order).reduce(0) { $0 + $1.0 * inStrides[$1.1] }])
            var d = shape.count - 1
            while d >= 0 { index[d] += 1; if index[d] < outShape[d] { break }; index[d] = 0; d -= 1 }
        }
        #expect(y.shape == outShape)
        #expect(y.scalars == expected, "\(shape) by \(order)")
    }

    @Test("GELU and row softmax kernels agree with their definitions")
    func vectorKernels() {
        let x = randomTensor([3, 37], seed: 14) * 3
        let gelu = x.gelu().scalars
        for (value, result) in zip(x.scalars, gelu) {
            let exact = 0.5 * Double(value) * (1 + Foundation.erf(Double(value) / 2.0.squareRoot()))
            #expect(abs(Double(result) - exact) <= 1e-6 * max(1, abs(exact)))
        }
        let rows = x.softmax(alongAxis: -1).scalars
        for r in 0..<3 {
            let row = x.scalars[(r * 37)..<((r + 1) * 37)].map(Double.init)
            let top = row.max()!, total = row.map { Foundation.exp($0 - top) }.reduce(0, +)
            for j in 0..<37 { #expect(abs(Double(rows[r * 37 + j]) - Foundation.exp(row[j] - top) / total) <= 1e-6) }
        }
    }
}
