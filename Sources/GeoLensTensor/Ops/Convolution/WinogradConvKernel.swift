/// 3x3 stride-1 convolutions by Winograd's minimal filtering (Lavin & Gray, 2016), in two tile sizes:
///
/// - F(2x2, 3x3): each 2x2 block of outputs comes from a 4x4 input tile with 16 multiplications per
///   channel pair instead of 36, as 16 GEMMs `U[k] (Cout x Cin) x V[k] (Cin x tiles)`. Input
///   gradients use it (they stay within about 1e-6 relative of the im2col path).
/// - F(4x4, 3x3) (`WinogradConvKernel+F4x4.swift`): each 4x4 block from a 6x6 tile with 36
///   multiplications instead of 144, as 36 GEMMs; inference convolutions use it (within about 1e-5
///   of the outputs' largest value from the exact convolution, ten times F(2x2)'s rounding).
///
/// - Filter transform `U = G g Gᵀ` (cached with the weight's storage), input transform `V = Bᵀ d B` per tile, output
///   transform `Y = Aᵀ M A`, then the epilogue (bias, activation) on the block.
/// - Work units are (image, block of tile rows) with a block size fixed by the geometry, so an
///   image's output never depends on the batch it came in (like the GEMM path).
/// - Used without a tape only: results differ from the im2col path by float rounding, and
///   gradients keep using the im2col kernels' exact pullbacks.
enum WinogradConvKernel {
    /// Output block per tile: F(2x2, 3x3) or F(4x4, 3x3).
    enum Tile: Sendable {
        case f2x2, f4x4
    }

    /// Tiles per work unit (about): the transformed input block `16 x Cin x tiles` then stays
    /// near the core's L2 for typical channel counts, and the GEMMs stay wide enough.
    static let tilesPerUnit = 196
    /// Output pixels per image below which the im2col path runs instead.
    static let minimumOutputPixels = 256

    /// Whether `g` is a convolution this kernel computes with `tile`: 3x3, stride 1, no dilation, no
    /// groups, and enough channels for the GEMMs to pay off. F(4x4) takes any number of output
    /// channels: its transformed input is 2.25 times the input where im2col's is 9 times, so even a
    /// segmentation head of a few classes on a full-size map runs faster through it.
    static func applies(to g: ConvGeometry, tile: Tile = .f2x2) -> Bool {
        g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideY == 1 && g.strideX == 1
            && g.dilationY == 1 && g.dilationX == 1 && g.groups == 1
            && g.inChannels >= 16 && (g.outChannels >= 16 || tile == .f4x4) && g.outHeight >= 2 && g.outWidth >= 2
            // Small maps give too few tiles per GEMM: repacking the transformed filters per image
            // then costs more than the multiplications saved.
            && g.outPlane >= minimumOutputPixels
    }

    /// The transformed filters are cached with the weight's storage, so repeated inference calls
    /// with the same weights (every tile of a run) transform them once.
    static func run(input x: UnsafePointer<Float>, weight: Tensor, output: UnsafeMutablePointer<Float>,
                    _ g: ConvGeometry, _ epilogue: ConvEpilogue.Kernel, tile: Tile) {
        if tile == .f4x4 {
            runF4x4(input: x, weight: weight, output: output, g, epilogue)
            return
        }
        let (cin, cout) = (g.inChannels, g.outChannels)
        let tilesX = (g.outWidth + 1) / 2, tilesY = (g.outHeight + 1) / 2
        let transformed = weight.storage.derived("winograd-f2x2-3x3 \(cout)x\(cin)") {
            weight.withUnsafeBufferPointer { transformFilters($0.baseAddress!, outChannels: cout, inChannels: cin) }
        }
        transformed.withUnsafeBufferPointer { ub in
            let u = ub.baseAddress!
            forEachUnit(g, tilesX: tilesX, tilesY: tilesY, tilesPerUnit: tilesPerUnit) { n, channels, tileRows in
                let tiles = tileRows.count * tilesX
                ScratchBuffers.shared.withBuffer(count: 16 * (cin + channels.count) * tiles) { scratch in
                    let v = scratch, m = scratch + 16 * cin * tiles
                    transformInput(x + n * cin * g.inPlane, g, tileRows: tileRows, tilesX: tilesX, into: v)
                    for k in 0..<16 {
                        BLAS.sgemm(m: channels.count, n: tiles, k: cin, a: u + k * cout * cin + channels.lowerBound * cin,
                                   lda: cin, b: v + k * cin * tiles, ldb: tiles, c: m + k * channels.count * tiles, ldc: tiles)
                    }
                    let image = output + n * cout * g.outPlane
                    transformOutput(m, g, channels: channels, tileRows: tileRows, tilesX: tilesX, into: image)
                    let firstRow = 2 * tileRows.lowerBound
                    let rows = Swift.min(g.outHeight, 2 * tileRows.upperBound) - firstRow
                    epilogue.apply(to: image + channels.lowerBound * g.outPlane + firstRow * g.outWidth, channels: channels,
                                   rowStride: g.outPlane, width: rows * g.outWidth)
                }
            }
        }
    }

    /// Runs `body(image, output channels, tile rows)` for every work unit of a Winograd
    /// convolution, in parallel with single-threaded GEMMs: images are cut into blocks of whole
    /// tile rows (about `tilesPerUnit` tiles), fixed by the geometry, so an image's output never
    /// depends on the batch it came in. Small maps (one or two tile-row blocks per image) also
    /// split the output channels, as the im2col path does (`ConvThreading.outputChannelBlock`).
    static func forEachUnit(_ g: ConvGeometry, tilesX: Int, tilesY: Int, tilesPerUnit: Int,
                            _ body: (_ image: Int, _ channels: Range<Int>, _ tileRows: Range<Int>) -> Void) {
        let tileRowsPerUnit = Swift.max(1, Swift.min(tilesY, tilesPerUnit / tilesX))
        let blocksPerImage = (tilesY + tileRowsPerUnit - 1) / tileRowsPerUnit
        let channelBlock = ConvThreading.outputChannelBlock(g, rowBlocks: blocksPerImage)
        let channelBlocks = (g.outChannels + channelBlock - 1) / channelBlock
        ConvThreading.withSingleThreadedBLAS {
            Parallel.forEach(g.batch * blocksPerImage * channelBlocks) { unit in
                let (n, block) = (unit / channelBlocks).quotientAndRemainder(dividingBy: blocksPerImage)
                let firstChannel = (unit % channelBlocks) * channelBlock
                let firstTileRow = block * tileRowsPerUnit
                body(n, firstChannel..<Swift.min(g.outChannels, firstChannel + channelBlock),
                     firstTileRow..<Swift.min(tilesY, firstTileRow + tileRowsPerUnit))
            }
        }
    }

    /// `U[k][o][i]` for the 16 positions `k` of the 4x4 transformed filter `G g Gᵀ`.
    static func transformFilters(_ w: UnsafePointer<Float>, outChannels cout: Int, inChannels cin: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: 16 * cout * cin) { u, initialized in
            let plane = cout * cin
            for o in 0..<cout {
                for i in 0..<cin {
                    let f = w + (o * cin + i) * 9
                    // t = G g (4 x 3): rows g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2.
                    func column(_ c: Int) -> (Float, Float, Float, Float) {
                        let (g0, g1, g2) = (f[c], f[3 + c], f[6 + c])
                        return (g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
                    }
                    let (c0, c1, c2) = (column(0), column(1), column(2))
                    let at = o * cin + i
                    // (G g) Gᵀ, row r of G g giving u[r][0...3].
                    func emit(_ r: Int, _ t0: Float, _ t1: Float, _ t2: Float) {
                        u[(4 * r) * plane + at] = t0
                        u[(4 * r + 1) * plane + at] = 0.5 * (t0 + t1 + t2)
                        u[(4 * r + 2) * plane + at] = 0.5 * (t0 - t1 + t2)
                        u[(4 * r + 3) * plane + at] = t2
                    }
                    emit(0, c0.0, c1.0, c2.0)
                    emit(1, c0.1, c1.1, c2.1)
                    emit(2, c0.2, c1.2, c2.2)
                    emit(3, c0.3, c1.3, c2.3)
                }
            }
            initialized = 16 * plane
        }
    }

    /// `V[k][c][t]` for the tiles of `tileRows` (all tile columns) of one image `[Cin, H, W]`:
    /// `Bᵀ d B` of each zero-padded 4x4 input tile `d`. Per channel and tile row: the four input
    /// rows (zero-padded), then the row combinations `Bᵀ d` along whole rows, then the column
    /// combinations, each written as a contiguous run over the tile columns.
    static func transformInput(_ image: UnsafePointer<Float>, _ g: ConvGeometry, tileRows: Range<Int>, tilesX: Int,
                               into v: UnsafeMutablePointer<Float>) {
        let tiles = tileRows.count * tilesX
        let stride = g.inChannels * tiles
        let span = 2 * tilesX + 2
        let d = UnsafeMutablePointer<Float>.allocate(capacity: 8 * span)
        defer { d.deallocate() }
        let e = d + 4 * span
        // Columns j of a loaded row hold input x = j - padLeft.
        let low = Swift.min(span, Swift.max(0, g.padLeft)), high = Swift.max(low, Swift.min(span, g.padLeft + g.inWidth))
        for c in 0..<g.inChannels {
            let plane = image + c * g.inPlane
            for (row, ty) in tileRows.enumerated() {
                let top = 2 * ty - g.padTop
                for r in 0..<4 {
                    let line = d + r * span, y = top + r
                    guard y >= 0 && y < g.inHeight else {
                        line.initialize(repeating: 0, count: span)
                        continue
                    }
                    line.initialize(repeating: 0, count: low)
                    (line + low).initialize(from: plane + y * g.inWidth + (low - g.padLeft), count: high - low)
                    (line + high).initialize(repeating: 0, count: span - high)
                }
                let (d0, d1, d2, d3) = (d, d + span, d + 2 * span, d + 3 * span)
                let (e0, e1, e2, e3) = (e, e + span, e + 2 * span, e + 3 * span)
                for j in 0..<span {
                    e0[j] = d0[j] - d2[j]
                    e1[j] = d1[j] + d2[j]
                    e2[j] = d2[j] - d1[j]
                    e3[j] = d1[j] - d3[j]
                }
                let start = c * tiles + row * tilesX
                for i in 0..<4 {
                    let source = e + i * span
                    let o0 = v + (4 * i) * stride + start, o1 = o0 + stride, o2 = o1 + stride, o3 = o2 + stride
                    for tx in 0..<tilesX {
                        let b = source + 2 * tx
                        o0[tx] = b[0] - b[2]
                        o1[tx] = b[1] + b[2]
                        o2[tx] = b[2] - b[1]
                        o3[tx] = b[1] - b[3]
                    }
                }
            }
        }
    }

    /// Writes `Aᵀ M A` (2x2 outputs per tile, clipped at the image edge) into `image` `[Cout, Hout, Wout]`;
    /// Per channel and tile row: `Aᵀ M` as eight contiguous runs over the tile columns (a loop the
    /// compiler vectorizes), then `(Aᵀ M) A` stored as two interleaved output rows.
    /// `m` holds the output channels `channels` only.
    static func transformOutput(_ m: UnsafePointer<Float>, _ g: ConvGeometry, channels: Range<Int>, tileRows: Range<Int>,
                                tilesX: Int, into image: UnsafeMutablePointer<Float>) {
        let tiles = tileRows.count * tilesX
        let stride = channels.count * tiles
        let fullX = g.outWidth / 2  // tiles whose two columns are inside the image
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 8 * tilesX)
        defer { scratch.deallocate() }
        for o in 0..<channels.count {
            let plane = image + (channels.lowerBound + o) * g.outPlane
            for (row, ty) in tileRows.enumerated() {
                let p = m + o * tiles + row * tilesX
                // top[s] = M0s + M1s + M2s, bottom[s] = M1s - M2s - M3s, with Mrs at p + (4 r + s) * stride.
                for s in 0..<4 {
                    let (m0, m1, m2, m3) = (p + s * stride, p + (4 + s) * stride, p + (8 + s) * stride, p + (12 + s) * stride)
                    let top = scratch + s * tilesX, bottom = scratch + (4 + s) * tilesX
                    for tx in 0..<tilesX {
                        top[tx] = m0[tx] + m1[tx] + m2[tx]
                        bottom[tx] = m1[tx] - m2[tx] - m3[tx]
                    }
                }
                for half in 0..<2 where 2 * ty + half < g.outHeight {
                    let outputRow = 2 * ty + half
                    let (a0, a1, a2, a3) = (scratch + 4 * half * tilesX, scratch + (4 * half + 1) * tilesX,
                                            scratch + (4 * half + 2) * tilesX, scratch + (4 * half + 3) * tilesX)
                    let line = plane + outputRow * g.outWidth
                    for tx in 0..<fullX {
                        line[2 * tx] = a0[tx] + a1[tx] + a2[tx]
                        line[2 * tx + 1] = a1[tx] - a2[tx] - a3[tx]
                    }
                    if fullX < tilesX { line[2 * fullX] = a0[fullX] + a1[fullX] + a2[fullX] }
                }
            }
        }
    }
}
