/// The geometry of a NumPy matrix product `[..., m, k] x [..., k, n]` and its GEMM kernels.
///
/// Batch axes broadcast (`[1, h, m, k] x [b, h, k, n]`, `[m, k] x [b, k, n]`); every output batch
/// reads one matrix of each operand by offset, so broadcast operands are never copied. Attention
/// (`[b, heads, tokens, d]` products) runs as one GEMM per (image, head) spread over threads, and
/// products with one shared right matrix (linear layers, `[b, tokens, c] x [c, d]`) run as GEMMs
/// over fixed blocks of rows of each image. Work units depend only on the shapes (never on the
/// thread count), and each image's rows are blocked on their own, so results are bit-identical
/// for any thread count and whichever images share a batch.
struct MatrixProduct: Sendable {
    let leftShape: [Int], rightShape: [Int]
    let m: Int, k: Int, n: Int
    /// The broadcast batch axes of the result.
    let batchShape: [Int]
    /// For every output batch, the matrix of each operand it reads.
    let leftIndex: [Int], rightIndex: [Int]
    /// True when the right operand is one matrix shared by every batch (rank 2).
    let sharedRight: Bool

    /// The most rows of one block of a shared-right product (one GEMM per block). Each GEMM call
    /// packs the shared matrix again, so blocks are large: an image's rows are cut into equal
    /// blocks of at most this many.
    static let rowBlock = 256
    /// Multiply-adds one worker should get at least.
    static let grain = 1 << 18

    init(_ a: [Int], _ b: [Int]) {
        precondition(a.count >= 2 && b.count >= 2,
                     "matmul: shapes \(a) and \(b) must both have rank >= 2 (reshape vectors first)")
        precondition(a[a.count - 1] == b[b.count - 2], "matmul: inner dimensions of \(a) and \(b) differ")
        leftShape = a
        rightShape = b
        m = a[a.count - 2]
        k = a[a.count - 1]
        n = b[b.count - 1]
        let batchA = Array(a.dropLast(2)), batchB = Array(b.dropLast(2))
        batchShape = Shape.broadcast(batchA, batchB, op: "matmul")
        sharedRight = b.count == 2
        let batches = Shape.count(batchShape)
        if sharedRight || batchA == batchB {
            leftIndex = Array(0..<batches)
            rightIndex = sharedRight ? Array(repeating: 0, count: batches) : Array(0..<batches)
        } else {
            leftIndex = Self.sourceIndices(batchA, in: batchShape)
            rightIndex = Self.sourceIndices(batchB, in: batchShape)
        }
    }

    var outputShape: [Int] { batchShape + [m, n] }
    var batches: Int { leftIndex.count }

    /// For each batch position of `shape`, the flat index of the `source` batch it reads.
    static func sourceIndices(_ source: [Int], in shape: [Int]) -> [Int] {
        let strides = BroadcastKernel.broadcastStrides(source, to: shape)
        let count = Shape.count(shape)
        var result = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: shape.count), offset = 0
        for i in 0..<count {
            result[i] = offset
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                offset += strides[d]
                if index[d] < shape[d] { break }
                offset -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return result
    }

    /// `a x b`, plus `bias` (n values) on every row when given (shared-right products only): the
    /// rows start as the bias and the GEMM adds to them, so a linear layer is one pass.
    func forward(_ a: Tensor, _ b: Tensor, bias: Tensor? = nil) -> Tensor {
        let (m, k, n) = (m, k, n)
        precondition(bias == nil || (sharedRight && bias!.count == n), "matmul: a bias of shape \(bias!.shape) needs a right operand [k, \(n)]")
        return Tensor(shape: outputShape) { out in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    guard let pa = pa.baseAddress, let pb = pb.baseAddress, let po = out.baseAddress else { return }
                    if sharedRight {
                        let rowBias = bias?.scalars
                        forEachRowBlock { row, rows in
                            guard let rowBias else {
                                if k == 0 { (po + row * n).initialize(repeating: 0, count: rows * n); return }
                                BLAS.sgemm(m: rows, n: n, k: k, a: pa + row * k, lda: k, b: pb, ldb: n, c: po + row * n, ldc: n)
                                return
                            }
                            for r in row..<(row + rows) { (po + r * n).update(from: rowBias, count: n) }
                            if k > 0 { BLAS.sgemm(m: rows, n: n, k: k, a: pa + row * k, lda: k, b: pb, ldb: n, beta: 1, c: po + row * n, ldc: n) }
                        }
                        return
                    }
                    if k == 0 { out.initialize(repeating: 0); return }
                    Parallel.forEach(batches, minimumWork: Self.minimumBatches(m * n * k)) { i in
                        BLAS.sgemm(m: m, n: n, k: k, a: pa + leftIndex[i] * m * k, lda: k,
                                   b: pb + rightIndex[i] * k * n, ldb: n, c: po + i * m * n, ldc: n)
                    }
                }
            }
        }
    }

    /// d(a x b)/da for upstream `g`: `g x b^T`, summed over the batches `a` was broadcast to.
    func leftGradient(_ g: Tensor, _ b: Tensor) -> Tensor {
        let (m, k, n) = (m, k, n)
        return Tensor(shape: leftShape) { out in
            g.withUnsafeBufferPointer { pg in
                b.withUnsafeBufferPointer { pb in
                    guard let pg = pg.baseAddress, let pb = pb.baseAddress, let po = out.baseAddress else { return }
                    if n == 0 { out.initialize(repeating: 0); return }
                    if sharedRight {
                        forEachRowBlock { row, rows in
                            BLAS.sgemm(transposeB: true, m: rows, n: k, k: n, a: pg + row * n, lda: n, b: pb, ldb: n,
                                       c: po + row * k, ldc: k)
                        }
                        return
                    }
                    accumulate(into: leftIndex, sources: Shape.count(Array(leftShape.dropLast(2))), size: m * k, output: po) { i, c, beta in
                        BLAS.sgemm(transposeB: true, m: m, n: k, k: n, a: pg + i * m * n, lda: n,
                                   b: pb + rightIndex[i] * k * n, ldb: n, beta: beta, c: c, ldc: k)
                    }
                }
            }
        }
    }

    /// d(a x b)/db for upstream `g`: `a^T x g`, summed over the batches `b` was broadcast to.
    func rightGradient(_ g: Tensor, _ a: Tensor) -> Tensor {
        let (m, k, n) = (m, k, n)
        return Tensor(shape: rightShape) { out in
            g.withUnsafeBufferPointer { pg in
                a.withUnsafeBufferPointer { pa in
                    guard let pg = pg.baseAddress, let pa = pa.baseAddress, let po = out.baseAddress else { return }
                    if sharedRight {
                        // One product over all rows: [rows, k]^T x [rows, n].
                        let rows = batches * m
                        BLAS.sgemm(transposeA: true, m: k, n: n, k: rows, a: pa, lda: k, b: pg, ldb: n, c: po, ldc: n)
                        if rows == 0 { out.initialize(repeating: 0) }
                        return
                    }
                    accumulate(into: rightIndex, sources: Shape.count(Array(rightShape.dropLast(2))), size: k * n, output: po) { i, c, beta in
                        BLAS.sgemm(transposeA: true, m: k, n: n, k: m, a: pa + leftIndex[i] * m * k, lda: k,
                                   b: pg + i * m * n, ldb: n, beta: beta, c: c, ldc: n)
                    }
                    if m == 0 { out.initialize(repeating: 0) }
                }
            }
        }
    }

    /// Calls `body(row, rows)` for blocks of rows of the left operand viewed as a matrix, blocked
    /// within each leading index (image) so an image's blocks do not depend on the batch.
    private func forEachRowBlock(_ body: (Int, Int) -> Void) {
        let images = leftShape.count > 2 ? leftShape[0] : 1
        let rowsPerImage = images == 0 ? 0 : batches * m / images
        let blocksPerImage = Swift.max(1, (rowsPerImage + Self.rowBlock - 1) / Self.rowBlock)
        let blockRows = (rowsPerImage + blocksPerImage - 1) / blocksPerImage
        guard blockRows > 0 else { return }
        Parallel.forEach(images * blocksPerImage, minimumWork: Self.minimumBatches(blockRows * k * n)) { unit in
            let image = unit / blocksPerImage, block = unit % blocksPerImage
            let start = block * blockRows
            if start < rowsPerImage { body(image * rowsPerImage + start, Swift.min(blockRows, rowsPerImage - start)) }
        }
    }

    /// Writes each source matrix as the sum of the products of the output batches reading it:
    /// sources run in parallel, the batches of one source in order (`beta` 0 for the first, 1 after).
    private func accumulate(into index: [Int], sources: Int, size: Int, output: UnsafeMutablePointer<Float>,
                            _ product: (_ batch: Int, _ c: UnsafeMutablePointer<Float>, _ beta: Float) -> Void) {
        var readers = [[Int]](repeating: [], count: sources)
        for (i, source) in index.enumerated() { readers[source].append(i) }
        Parallel.forEach(sources, minimumWork: Self.minimumBatches(m * n * k * Swift.max(1, batches / Swift.max(sources, 1)))) { s in
            let c = output + s * size
            if readers[s].isEmpty { c.initialize(repeating: 0, count: size) }
            for (j, i) in readers[s].enumerated() { product(i, c, j == 0 ? 0 : 1) }
        }
    }

    /// Work items per worker so each gets at least `grain` multiply-adds.
    static func minimumBatches(_ work: Int) -> Int {
        Swift.max(1, grain / Swift.max(work, 1))
    }
}
