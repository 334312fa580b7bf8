/// The weight gradient of 3x3 stride-1 convolutions by Winograd F(2x2, 3x3), the transpose of
/// `WinogradConvKernel`'s forward pass.
///
/// The forward pass computes each 2x2 output block as `Aᵀ [U ⊙ (Bᵀ d B)] A` with `U = G g Gᵀ`, so
/// the weight gradient is `Gᵀ [Σ_tiles (A dy Aᵀ) ⊙ (Bᵀ d B)] G`: 16 GEMMs
/// `dU[k] (Cout x Cin) += M[k] (Cout x tiles) x V[k]ᵀ (tiles x Cin)` summed over every tile of every
/// image, then the 4x4 -> 3x3 transform. Against the im2col GEMM (`Cout x 9 Cin x pixels`) that is
/// 16 instead of 36 multiplications per output pixel and channel pair, with a float rounding error
/// of the same size as the im2col GEMM's against a Double reference.
///
/// Determinism: the tiles are cut into chunks of whole tile rows (counted across the batch) by the
/// geometry alone, and each `dU[k]` is accumulated chunk after chunk by one worker, so the sum
/// runs in the same order whatever the thread count; workers own disjoint positions `k` (rows of
/// the 4x4 transform), not parts of the batch, so no partial sums are added at the end.
enum WinogradWeightGradientKernel {
    /// Floats of transformed tiles per chunk and row of the 4x4 transform (`4 x (Cin + Cout) x tiles`):
    /// about 512 KB, so a worker's chunk stays in its core's L2 between the transforms and the GEMMs.
    static let chunkFloats = 1 << 17
    /// Fewest tiles per chunk: the GEMMs' inner dimension.
    static let minimumChunkTiles = 64

    /// Whether `g`'s weight gradient runs here: the shapes `WinogradConvKernel` computes, with
    /// `GEOLENS_WINOGRAD=0` sending it back to the exact im2col GEMM.
    static func applies(to g: ConvGeometry) -> Bool {
        ConvForwardKernel.winogradEnabled
            && g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideY == 1 && g.strideX == 1
            && g.dilationY == 1 && g.dilationX == 1 && g.groups == 1
            && g.inChannels >= 16 && g.outChannels >= 16
            // A few tiles per image in all: the transforms cost more than the GEMMs save.
            && g.batch * g.outPlane >= WinogradConvKernel.minimumOutputPixels
    }

    /// Tile rows (counted across the batch, `image * tilesY + ty`) per chunk: fixed by the geometry.
    static func tileRowsPerChunk(_ g: ConvGeometry) -> Int {
        let tilesX = (g.outWidth + 1) / 2
        let tiles = Swift.max(minimumChunkTiles, chunkFloats / (4 * (g.inChannels + g.outChannels)))
        return Swift.max(1, tiles / tilesX)
    }

    /// Writes d(loss)/d(weight) (`g.weightShape`) of the input `x` (`g.inputShape`) and the output
    /// gradient `dy` (`g.outputShape`) into `result`. `tileRowsPerChunk` replaces the geometry's
    /// chunk size (tests cut small maps into chunks that span images).
    static func run(input x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                    result: UnsafeMutablePointer<Float>, _ g: ConvGeometry, tileRowsPerChunk chunkSize: Int? = nil) {
        let (cin, cout) = (g.inChannels, g.outChannels)
        let tilesX = (g.outWidth + 1) / 2, tilesY = (g.outHeight + 1) / 2
        let tileRows = g.batch * tilesY
        let rowsPerChunk = Swift.max(1, Swift.min(tileRows, chunkSize ?? tileRowsPerChunk(g)))
        let chunks = (tileRows + rowsPerChunk - 1) / rowsPerChunk
        let plane = cout * cin
        // Allocated per call rather than taken from `ScratchBuffers`, whose pooled buffers keep
        // their largest size for the life of the process.
        let du = UnsafeMutablePointer<Float>.allocate(capacity: 16 * plane)
        defer { du.deallocate() }
        ConvThreading.withSingleThreadedBLAS {
            // Workers take contiguous rows of the 4x4 transform; which worker computes a row
            // changes nothing in its bits.
            let workers = Swift.max(1, Swift.min(4, Parallel.threadCount))
            Parallel.forEach(workers) { worker in
                let rows = (4 * worker / workers)..<(4 * (worker + 1) / workers)
                ScratchBuffers.shared.withBuffer(count: 4 * (cin + cout) * rowsPerChunk * tilesX) { scratch in
                    let v = scratch, m = scratch + 4 * cin * rowsPerChunk * tilesX
                    for chunk in 0..<chunks {
                        let first = chunk * rowsPerChunk
                        let chunkRows = first..<Swift.min(tileRows, first + rowsPerChunk)
                        let tiles = chunkRows.count * tilesX
                        for row in rows {
                            transformInput(x, g, row: row, tileRows: chunkRows, into: v)
                            transformGradient(dy, g, row: row, tileRows: chunkRows, into: m)
                            for column in 0..<4 {
                                BLAS.sgemm(transposeB: true, m: cout, n: cin, k: tiles,
                                           a: m + column * cout * tiles, lda: tiles,
                                           b: v + column * cin * tiles, ldb: tiles,
                                           beta: chunk == 0 ? 0 : 1, c: du + (4 * row + column) * plane, ldc: cin)
                            }
                        }
                    }
                }
            }
            transformFilterGradient(UnsafePointer(du), outChannels: cout, inChannels: cin, into: result)
        }
    }

    /// `V[4 row + j][c][t]` for `j` in `0..<4`: row `row` of `Bᵀ d B` for every input tile `d` of the tile
    /// rows `tileRows` (counted across the batch) and every channel, as `[4][Cin][tiles]`.
    ///
    /// `Bᵀ` combines the tile's four input rows as `d0 - d2`, `d1 + d2`, `d2 - d1`, `d1 - d3`; `B`
    /// combines the columns of the result in the same way.
    static func transformInput(_ x: UnsafePointer<Float>, _ g: ConvGeometry, row: Int, tileRows: Range<Int>,
                               into v: UnsafeMutablePointer<Float>) {
        let tilesX = (g.outWidth + 1) / 2, tilesY = (g.outHeight + 1) / 2
        let tiles = tileRows.count * tilesX
        let stride = g.inChannels * tiles
        let span = 2 * tilesX + 2
        // The two input rows `row` combines (offsets from the tile's top row) and the second one's sign.
        let (upper, lower, sign): (Int, Int, Float) = switch row {
        case 0: (0, 2, -1)
        case 1: (1, 2, 1)
        case 2: (2, 1, -1)
        default: (1, 3, -1)
        }
        let e = UnsafeMutablePointer<Float>.allocate(capacity: span)
        defer { e.deallocate() }
        // Columns j of a combined row hold input x = j - padLeft.
        let low = Swift.min(span, Swift.max(0, g.padLeft)), high = Swift.max(low, Swift.min(span, g.padLeft + g.inWidth))
        e.initialize(repeating: 0, count: low)
        (e + high).initialize(repeating: 0, count: span - high)
        // Channel by channel, down the tile rows: the rows read follow each other in memory.
        for c in 0..<g.inChannels {
            for (local, tileRow) in tileRows.enumerated() {
                let (n, ty) = tileRow.quotientAndRemainder(dividingBy: tilesY)
                let top = 2 * ty - g.padTop
                let (y0, y1) = (top + upper, top + lower)
                let inside0 = y0 >= 0 && y0 < g.inHeight, inside1 = y1 >= 0 && y1 < g.inHeight
                let source = x + (n * g.inChannels + c) * g.inPlane + (low - g.padLeft)
                let line = e + low, count = high - low
                switch (inside0, inside1) {
                case (true, true):
                    let (a, b) = (source + y0 * g.inWidth, source + y1 * g.inWidth)
                    for j in 0..<count { line[j] = a[j] + sign * b[j] }
                case (true, false):
                    line.update(from: source + y0 * g.inWidth, count: count)
                case (false, true):
                    let b = source + y1 * g.inWidth
                    for j in 0..<count { line[j] = sign * b[j] }
                case (false, false):
                    line.update(repeating: 0, count: count)
                }
                let o0 = v + c * tiles + local * tilesX, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride
                // Tile tx combines columns 2 tx ... 2 tx + 3: even and odd columns of two overlapping
                // 16-wide loads give eight tiles at once.
                var tx = 0
                while tx + 8 <= tilesX {
                    let here = load16(e + 2 * tx), next = load16(e + 2 * tx + 2)
                    let (b0, b1, b2, b3) = (here.evenHalf, here.oddHalf, next.evenHalf, next.oddHalf)
                    store8(b0 - b2, o0 + tx)
                    store8(b1 + b2, o1 + tx)
                    store8(b2 - b1, o2 + tx)
                    store8(b1 - b3, o3 + tx)
                    tx += 8
                }
                while tx < tilesX {
                    let b = e + 2 * tx
                    o0[tx] = b[0] - b[2]
                    o1[tx] = b[1] + b[2]
                    o2[tx] = b[2] - b[1]
                    o3[tx] = b[1] - b[3]
                    tx += 1
                }
            }
        }
    }

    /// `M[4 row + j][o][t]` for `j` in `0..<4`: row `row` of `A dy Aᵀ` for every 2x2 block `dy` of the
    /// output gradient (zero outside the output) in the tile rows `tileRows`, as `[4][Cout][tiles]`.
    ///
    /// `A` spreads the block's two rows to `y0`, `y0 + y1`, `y0 - y1`, `-y1`; `Aᵀ` the columns alike.
    static func transformGradient(_ dy: UnsafePointer<Float>, _ g: ConvGeometry, row: Int, tileRows: Range<Int>,
                                  into m: UnsafeMutablePointer<Float>) {
        let tilesX = (g.outWidth + 1) / 2, tilesY = (g.outHeight + 1) / 2
        let tiles = tileRows.count * tilesX
        let stride = g.outChannels * tiles
        let e = UnsafeMutablePointer<Float>.allocate(capacity: 2 * tilesX)
        defer { e.deallocate() }
        // An odd output width leaves the last tile's second column outside the output.
        e[2 * tilesX - 1] = 0
        let width = g.outWidth
        for o in 0..<g.outChannels {
            for (local, tileRow) in tileRows.enumerated() {
                let (n, ty) = tileRow.quotientAndRemainder(dividingBy: tilesY)
                let hasSecond = 2 * ty + 1 < g.outHeight
                let y0 = dy + (n * g.outChannels + o) * g.outPlane + 2 * ty * width, y1 = y0 + width
                switch row {
                case 0:
                    e.update(from: y0, count: width)
                case 1:
                    if hasSecond { for j in 0..<width { e[j] = y0[j] + y1[j] } } else { e.update(from: y0, count: width) }
                case 2:
                    if hasSecond { for j in 0..<width { e[j] = y0[j] - y1[j] } } else { e.update(from: y0, count: width) }
                default:
                    if hasSecond { for j in 0..<width { e[j] = -y1[j] } } else { e.update(repeating: 0, count: width) }
                }
                let o0 = m + o * tiles + local * tilesX, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride
                var tx = 0
                while tx + 8 <= tilesX {
                    let pair = load16(e + 2 * tx)
                    let (p0, p1) = (pair.evenHalf, pair.oddHalf)
                    store8(p0, o0 + tx)
                    store8(p0 + p1, o1 + tx)
                    store8(p0 - p1, o2 + tx)
                    store8(-p1, o3 + tx)
                    tx += 8
                }
                while tx < tilesX {
                    let (p0, p1) = (e[2 * tx], e[2 * tx + 1])
                    o0[tx] = p0
                    o1[tx] = p0 + p1
                    o2[tx] = p0 - p1
                    o3[tx] = -p1
                    tx += 1
                }
            }
        }
    }

    @inline(__always)
    private static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always)
    private static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// `Gᵀ dU G` for every channel pair: `dU[k][o][i]` (`k` = 4 r + s) to the 3x3 gradient
    /// `result[o][i][ky][kx]`. `Gᵀ` combines rows as `r0 + (r1 + r2) / 2`, `(r1 - r2) / 2`,
    /// `(r1 + r2) / 2 + r3`, and `G` the columns alike.
    static func transformFilterGradient(_ du: UnsafePointer<Float>, outChannels cout: Int, inChannels cin: Int,
                                        into result: UnsafeMutablePointer<Float>) {
        let plane = cout * cin
        Parallel.forEach(cout, minimumWork: 16) { o in
            for i in 0..<cin {
                let at = o * cin + i
                func d(_ k: Int) -> Float { du[k * plane + at] }
                // t_ky = row ky of Gᵀ dU, then (t_ky G) gives row ky of the 3x3 gradient.
                let r0 = SIMD4(d(0), d(1), d(2), d(3)), r1 = SIMD4(d(4), d(5), d(6), d(7))
                let r2 = SIMD4(d(8), d(9), d(10), d(11)), r3 = SIMD4(d(12), d(13), d(14), d(15))
                let half = 0.5 * (r1 + r2)
                let out = result + at * 9
                func emit(_ ky: Int, _ t: SIMD4<Float>) {
                    let middle = 0.5 * (t[1] + t[2])
                    out[3 * ky] = t[0] + middle
                    out[3 * ky + 1] = 0.5 * (t[1] - t[2])
                    out[3 * ky + 2] = middle + t[3]
                }
                emit(0, r0 + half)
                emit(1, 0.5 * (r1 - r2))
                emit(2, half + r3)
            }
        }
    }
}
