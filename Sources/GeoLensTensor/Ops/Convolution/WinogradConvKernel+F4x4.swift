internal import CGeoLensKernels

/// Winograd F(4x4, 3x3): each 4x4 block of outputs from a 6x6 input tile (interpolation points 0,
/// ±1, ±2 and infinity), 36 multiplications per channel pair instead of 144, as 36 GEMMs
/// `U[k] (Cout x Cin) x V[k] (Cin x tiles)`. Against F(2x2, 3x3) this takes 2.25 instead of 4
/// multiplications per output and channel pair, and the transformed input is 2.25 instead of 4
/// times the input. The transforms are C kernels (`gl_winograd_f4x4_input`/`_output`, AVX-512
/// where the CPU has it) that run along whole tile rows; the output transform adds the bias and
/// applies a ReLU as it stores.
extension WinogradConvKernel {
    /// Tiles per F(4x4) work unit (about: whole tile rows): 1024 output pixels, as the im2col
    /// path's units, so that `36 x Cin x tiles` transformed inputs stay near the core's L2.
    static let f4x4TilesPerUnit = 64

    static func runF4x4(input x: UnsafePointer<Float>, weight: Tensor, output: UnsafeMutablePointer<Float>,
                        _ g: ConvGeometry, _ epilogue: ConvEpilogue.Kernel) {
        let (cin, cout) = (g.inChannels, g.outChannels)
        let tilesX = (g.outWidth + 3) / 4, tilesY = (g.outHeight + 3) / 4
        let transformed = weight.storage.derived("winograd-f4x4-3x3 \(cout)x\(cin)") {
            weight.withUnsafeBufferPointer { transformFiltersF4x4($0.baseAddress!, outChannels: cout, inChannels: cin) }
        }
        // The output transform applies the bias and a ReLU itself; other activations run after it.
        let fused = epilogue.activation == .identity || epilogue.activation == .relu
        transformed.withUnsafeBufferPointer { ub in
            let u = ub.baseAddress!
            forEachUnit(g, tilesX: tilesX, tilesY: tilesY, tilesPerUnit: f4x4TilesPerUnit) { n, channels, tileRows in
                let tiles = tileRows.count * tilesX
                // The 36 positions' blocks lie a cache line more than a multiple of 64 bytes
                // apart: at a power-of-two distance, the transforms' 36 streams would share a
                // few cache sets.
                let vStride = paddedStride(cin * tiles), mStride = paddedStride(channels.count * tiles)
                ScratchBuffers.shared.withBuffer(count: 36 * (vStride + mStride)) { scratch in
                    let v = scratch, m = scratch + 36 * vStride
                    gl_winograd_f4x4_input(x + n * cin * g.inPlane, Int32(cin), Int32(g.inHeight), Int32(g.inWidth),
                                           Int32(g.padTop), Int32(g.padLeft), Int32(tileRows.lowerBound),
                                           Int32(tileRows.count), Int32(tilesX), v, vStride)
                    for k in 0..<36 {
                        BLAS.sgemm(m: channels.count, n: tiles, k: cin, a: u + k * cout * cin + channels.lowerBound * cin,
                                   lda: cin, b: v + k * vStride, ldb: tiles, c: m + k * mStride, ldc: tiles)
                    }
                    let planes = output + (n * cout + channels.lowerBound) * g.outPlane
                    gl_winograd_f4x4_output(m, mStride, Int32(channels.count), Int32(tileRows.lowerBound), Int32(tileRows.count),
                                            Int32(tilesX), fused ? epilogue.bias.map { $0 + channels.lowerBound } : nil,
                                            fused && epilogue.activation == .relu ? 1 : 0, planes, g.outPlane,
                                            Int32(g.outHeight), Int32(g.outWidth))
                    if !fused {
                        let firstRow = 4 * tileRows.lowerBound
                        let rows = Swift.min(g.outHeight, 4 * tileRows.upperBound) - firstRow
                        epilogue.apply(to: planes + firstRow * g.outWidth, channels: channels, rowStride: g.outPlane,
                                       width: rows * g.outWidth)
                    }
                }
            }
        }
    }

    /// `count` rounded up to whole cache lines, plus one line.
    static func paddedStride(_ count: Int) -> Int { (count + 15) / 16 * 16 + 16 }

    /// `U[k][o][i]` for the 36 positions `k = 6 r + s` of the 6x6 transformed filter `G g Gᵀ`,
    /// computed in Double and rounded once.
    static func transformFiltersF4x4(_ w: UnsafePointer<Float>, outChannels cout: Int, inChannels cin: Int) -> [Float] {
        // G (6 x 3) for the points 0, 1, -1, 2, -2 and infinity.
        let G: [[Double]] = [[1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                             [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1]]
        return [Float](unsafeUninitializedCapacity: 36 * cout * cin) { u, initialized in
            let plane = cout * cin
            var t = [Double](repeating: 0, count: 18)
            for o in 0..<cout {
                for i in 0..<cin {
                    let f = w + (o * cin + i) * 9
                    // t = G g (6 x 3), then (G g) Gᵀ.
                    for r in 0..<6 {
                        for c in 0..<3 {
                            t[r * 3 + c] = G[r][0] * Double(f[c]) + G[r][1] * Double(f[3 + c]) + G[r][2] * Double(f[6 + c])
                        }
                    }
                    for r in 0..<6 {
                        for s in 0..<6 {
                            let value = t[r * 3] * G[s][0] + t[r * 3 + 1] * G[s][1] + t[r * 3 + 2] * G[s][2]
                            u[(6 * r + s) * plane + o * cin + i] = Float(value)
                        }
                    }
                }
            }
            initialized = 36 * plane
        }
    }
}
