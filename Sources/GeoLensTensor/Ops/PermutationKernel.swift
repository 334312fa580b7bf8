/// Copies for `permuted(_:)`: axes that stay adjacent and in order are merged first, then the
/// reduced permutation takes one of three loops. When the innermost axis stays innermost
/// (`[b, n, 3, h, d]` to `[3, b, h, n, d]` in attention), whole rows are copied. When the last two
/// axes swap (`[b, c, h * w]` to `[b, h * w, c]` around token layers), the matrices are transposed
/// in tiles that stay in cache. Anything else walks the output with strided reads.
enum PermutationKernel {
    /// Edge of the square tiles of a matrix transpose.
    static let tile = 16

    /// The permutation with merged axes: the reduced input shape and order.
    static func reduced(_ shape: [Int], _ order: [Int]) -> (shape: [Int], order: [Int]) {
        // Runs of output axes that are consecutive input axes, in output order.
        var runs: [[Int]] = []
        for axis in order where shape[axis] != 1 {
            if let last = runs.last?.last, axis == last + 1 { runs[runs.count - 1].append(axis) } else { runs.append([axis]) }
        }
        if runs.isEmpty { return ([1], [0]) }
        let byInput = runs.indices.sorted { runs[$0][0] < runs[$1][0] }
        let reducedShape = byInput.map { runs[$0].reduce(1) { $0 * shape[$1] } }
        var position = [Int](repeating: 0, count: runs.count)
        for (inputIndex, run) in byInput.enumerated() { position[run] = inputIndex }
        return (reducedShape, runs.indices.map { position[$0] })
    }

    /// `out` = `src` (of `shape`) permuted by `order`; false when no fast loop applies.
    static func copy(_ src: UnsafePointer<Float>, shape: [Int], order: [Int], into out: UnsafeMutablePointer<Float>) -> Bool {
        let (inShape, perm) = reduced(shape, order)
        let rank = inShape.count
        let total = Shape.count(inShape)
        if perm == Array(0..<rank) {
            out.update(from: src, count: total)
            return true
        }
        let strides = Shape.strides(inShape)
        let outShape = perm.map { inShape[$0] }
        if perm.last == rank - 1 {
            // Rows of `inner` contiguous values, in output order.
            let inner = inShape[rank - 1], rows = total / Swift.max(inner, 1)
            var index = [Int](repeating: 0, count: rank - 1)
            var offset = 0
            for row in 0..<rows {
                (out + row * inner).update(from: src + offset, count: inner)
                var d = rank - 2
                while d >= 0 {
                    index[d] += 1
                    offset += strides[perm[d]]
                    if index[d] < outShape[d] { break }
                    offset -= strides[perm[d]] * outShape[d]
                    index[d] = 0
                    d -= 1
                }
            }
            return true
        }
        if rank >= 2, perm == Array(0..<(rank - 2)) + [rank - 1, rank - 2] {
            let (r, c) = (inShape[rank - 2], inShape[rank - 1])
            let matrices = total / Swift.max(r * c, 1)
            Parallel.forEach(matrices, minimumWork: Swift.max(1, ParallelKernels.grain / Swift.max(r * c, 1))) { m in
                transpose(src + m * r * c, rows: r, columns: c, into: out + m * r * c)
            }
            return true
        }
        return false
    }

    /// `out[j][i] = src[i][j]` for an r x c matrix, tile by tile.
    static func transpose(_ src: UnsafePointer<Float>, rows r: Int, columns c: Int, into out: UnsafeMutablePointer<Float>) {
        var i0 = 0
        while i0 < r {
            let i1 = Swift.min(i0 + tile, r)
            var j0 = 0
            while j0 < c {
                let j1 = Swift.min(j0 + tile, c)
                for j in j0..<j1 {
                    let row = out + j * r
                    for i in i0..<i1 { row[i] = src[i * c + j] }
                }
                j0 = j1
            }
            i0 = i1
        }
    }
}
