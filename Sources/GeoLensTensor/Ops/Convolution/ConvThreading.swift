/// How convolution work is split between GeoLens workers and OpenBLAS.
///
/// Every GEMM-based convolution kernel cuts its work into independent units (an image and a block
/// of output rows for the forward pass and the weight gradient; an image and a block of input
/// channels for the input gradient, so that col2im scatters never overlap) and runs the units on
/// `Parallel.forEach` workers, each calling a single-threaded `sgemm` on operands sized for its
/// cache, so OpenBLAS is held at one thread while the units run. Against one two-threaded `sgemm`
/// per unit, run one unit after another, the GEMM-bound shapes of `geolens-bench conv` measured the
/// same within noise on 2 cores; units win where the GEMM is not everything: the im2col copy, the
/// epilogue and the col2im scatter run on every core too, and a batch of one image still splits
/// into row blocks for every worker.
enum ConvThreading {
    /// Output columns (pixels) per forward unit: the im2col block `patchSize x columns` then stays
    /// within a few hundred KB, near the core's L2, while the GEMM stays wide enough to run at speed.
    static let forwardColumns = 1024
    /// Output columns per weight-gradient unit (the GEMM's inner dimension: longer is better).
    static let weightGradientColumns = 4096
    /// Floats of column matrix per input-gradient unit.
    static let inputGradientFloats = 1 << 18

    /// Runs `body` with OpenBLAS on one thread (GeoLens workers provide the parallelism).
    ///
    /// OpenBLAS's thread count is process-global: flipping it around each call would race when
    /// two convolutions run at once (parallel tiles, concurrent tests) and let one GEMM run
    /// multi-threaded inside a worker. GeoLens therefore keeps OpenBLAS at one thread for the
    /// whole process (`BLAS.useSingleThread()`), which also keeps results independent of timing.
    static func withSingleThreadedBLAS<R>(_ body: () -> R) -> R {
        BLAS.useSingleThread()
        return body()
    }

    /// Output rows per unit so that a unit holds about `columns` output pixels.
    ///
    /// The split depends on the image geometry only, never on the batch size or the thread count:
    /// GEMMs of different widths may round differently, and an image's output must be bit-identical
    /// whichever tiles share its batch (sharded, resumed and single evaluation runs agree exactly).
    static func rowsPerUnit(_ g: ConvGeometry, columns: Int) -> Int {
        let rows = Swift.max(1, columns / Swift.max(g.outWidth, 1))
        return Swift.min(rows, Swift.max(g.outHeight, 1))
    }

    /// Forward units per image below which the output channels are split too.
    static let minimumUnitsPerImage = 4
    /// Fewest output channels in a channel block.
    static let minimumChannelBlock = 32

    /// Output channels per forward unit: all of them, unless an image has fewer than
    /// `minimumUnitsPerImage` row blocks (small feature maps: the deep layers of an encoder),
    /// when the channels split into blocks (multiples of 16, at least `minimumChannelBlock`) so
    /// that one image still gives every worker work. Like the row blocks, the split depends on the
    /// geometry only, never on the thread count or batch, so an image's output stays the same bits
    /// in any batch and on any number of threads.
    static func outputChannelBlock(_ g: ConvGeometry, rowBlocks: Int) -> Int {
        guard g.groups == 1, rowBlocks < minimumUnitsPerImage, g.outChannels >= 2 * minimumChannelBlock else { return g.outChannels }
        let wanted = (minimumUnitsPerImage + rowBlocks - 1) / rowBlocks
        let block = ((g.outChannels + wanted - 1) / wanted + 15) / 16 * 16
        return Swift.max(minimumChannelBlock, block)
    }

    /// The (image, output rows) units of a row-blocked kernel.
    struct RowUnits {
        let rowsPerUnit: Int
        let blocksPerImage: Int
        let outHeight: Int
        let count: Int

        init(_ g: ConvGeometry, columns: Int) {
            rowsPerUnit = ConvThreading.rowsPerUnit(g, columns: columns)
            blocksPerImage = (g.outHeight + rowsPerUnit - 1) / rowsPerUnit
            outHeight = g.outHeight
            count = g.batch * blocksPerImage
        }

        /// The image and output rows of unit `u`.
        func unit(_ u: Int) -> (image: Int, rows: Range<Int>) {
            let block = u % blocksPerImage
            let start = block * rowsPerUnit
            return (u / blocksPerImage, start..<Swift.min(outHeight, start + rowsPerUnit))
        }
    }
}
