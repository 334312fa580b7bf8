import GeoLensGeo
import GeoLensTensor
import Testing

@Suite struct SceneTilingTests {
    @Test func windowStartsStepAndEndFlush() {
        #expect(SceneTiler.starts(length: 1000, tile: 256, overlap: 64) == [0, 192, 384, 576, 744])
        #expect(SceneTiler.starts(length: 256, tile: 256, overlap: 64) == [0])
        #expect(SceneTiler.starts(length: 100, tile: 256, overlap: 64) == [0])
        #expect(SceneTiler.starts(length: 257, tile: 256, overlap: 0) == [0, 1])
    }

    @Test(arguments: [(300, 200, 64, 16), (64, 64, 64, 8), (50, 70, 32, 31), (9, 8, 32, 8)])
    func windowsCoverEveryPixel(width: Int, height: Int, tile: Int, overlap: Int) {
        let tiler = SceneTiler(width: width, height: height, tileSize: tile, overlap: overlap)
        var covered = [Int](repeating: 0, count: width * height)
        for row in 0..<tiler.rowCount {
            for scene in tiler.windows(inRow: row) {
                #expect(scene.window.isInside(width: width, height: height))
                for y in scene.window.y..<(scene.window.y + scene.window.height) {
                    for x in scene.window.x..<(scene.window.x + scene.window.width) { covered[y * width + x] += 1 }
                }
            }
        }
        #expect(covered.allSatisfy { $0 >= 1 })
    }

    @Test func reflectPaddingMirrorsWithoutRepeatingTheEdge() {
        #expect((0..<9).map { ReflectPadding.sourceIndex($0, length: 4) } == [0, 1, 2, 3, 2, 1, 0, 1, 2])
        #expect((0..<3).map { ReflectPadding.sourceIndex($0, length: 1) } == [0, 0, 0])
        let block = Tensor(shape: [1, 2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let padded = ReflectPadding.pad(block, toTile: 4)
        #expect(padded.shape == [1, 4, 4])
        #expect(padded.scalars == [1, 2, 3, 2, 4, 5, 6, 5, 1, 2, 3, 2, 4, 5, 6, 5])
    }

    @Test func blendProfilesTaperOnlyInside() {
        let inner = BlendWeight.hann.profile(length: 8, flatStart: false, flatEnd: false)
        #expect(inner.allSatisfy { $0 > 0 })
        #expect(inner[0] < 0.1 && inner[7] < 0.1 && inner.max()! == 1)
        let border = BlendWeight.gaussian(sigmaFraction: 0.125).profile(length: 8, flatStart: true, flatEnd: false)
        #expect(border[0] == 1 && border[3] == 1 && border[7] < 0.1)
    }

    /// Stitching an identity-like model (probabilities = the input's channels) through overlapping,
    /// tapered windows gives back the input exactly: every row once, no seams, any blend.
    @Test(arguments: [BlendWeight.hann, .gaussian(sigmaFraction: 0.125), .uniform])
    func identityModelIsReproducedExactly(blend: BlendWeight) {
        let (width, height, classes, tile) = (83, 61, 3, 32)
        let scene = (0..<(classes * width * height)).map { Float(($0 * 37) % 101) / 100 }
        let tiler = SceneTiler(width: width, height: height, tileSize: tile, overlap: 12)
        var stitcher = ProbabilityStitcher(tiler: tiler, classCount: classes, blend: blend)
        var output = [Float](repeating: -1, count: scene.count)
        var emittedRows: [Int] = []
        for row in 0..<tiler.rowCount {
            for window in tiler.windows(inRow: row) {
                let w = window.window
                let probabilities = Tensor(shape: [classes, tile, tile]) { out in
                    for k in 0..<classes {
                        for y in 0..<tile {
                            for x in 0..<tile {
                                let sy = w.y + min(y, w.height - 1), sx = w.x + min(x, w.width - 1)
                                out[(k * tile + y) * tile + x] = scene[(k * height + sy) * width + sx]
                            }
                        }
                    }
                }
                stitcher.add(probabilities, for: window)
            }
            guard let rows = stitcher.emitRows(before: tiler.finishedRows(afterWindowRow: row)) else { continue }
            emittedRows += Array(rows.firstRow..<(rows.firstRow + rows.rowCount))
            let values = rows.probabilities.scalars
            let n = rows.rowCount * width
            for k in 0..<classes {
                for i in 0..<n { output[(k * height + rows.firstRow) * width + i] = values[k * n + i] }
            }
        }
        #expect(emittedRows == Array(0..<height))
        let worst = zip(output, scene).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5)
    }

    @Test func seamsVanishWhereWindowsDisagree() {
        // Each window predicts a constant equal to its column index: a hard seam without blending.
        let (width, tile) = (96, 32)
        let tiler = SceneTiler(width: width, height: 32, tileSize: tile, overlap: 16)
        var blended = ProbabilityStitcher(tiler: tiler, classCount: 1, blend: .hann)
        var plain = ProbabilityStitcher(tiler: tiler, classCount: 1, blend: .uniform)
        for (i, window) in tiler.windows(inRow: 0).enumerated() {
            let constant = Tensor(shape: [1, tile, tile], repeating: Float(i))
            blended.add(constant, for: window)
            plain.add(constant, for: window)
        }
        let smooth = blended.emitRows(before: 32)!.probabilities.scalars.prefix(width)
        let stepped = plain.emitRows(before: 32)!.probabilities.scalars.prefix(width)
        let largestJump = { (row: ArraySlice<Float>) in zip(row.dropFirst(), row).map { abs($0 - $1) }.max()! }
        #expect(largestJump(stepped) >= 0.5)
        #expect(largestJump(smooth) < 0.25)
    }
}
