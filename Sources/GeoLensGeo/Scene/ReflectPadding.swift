public import GeoLensTensor

/// Reflect padding (`numpy.pad(mode="reflect")`, repeated for pads longer than the data) of
/// `[channels, height, width]` blocks up to a square model tile.
public enum ReflectPadding {
    /// The source index that padded position `i` mirrors, for data of length `n`.
    @inline(__always)
    public static func sourceIndex(_ i: Int, length n: Int) -> Int {
        if n == 1 { return 0 }
        let period = 2 * (n - 1)
        let m = i % period
        return m < n ? m : period - m
    }

    /// Pads `block` `[C, h, w]` on the right and bottom to `[C, tile, tile]`.
    public static func pad(_ block: Tensor, toTile tile: Int) -> Tensor {
        precondition(block.rank == 3, "ReflectPadding.pad: expects [C, h, w], got \(block.shape)")
        let (c, h, w) = (block.shape[0], block.shape[1], block.shape[2])
        precondition(h <= tile && w <= tile, "ReflectPadding.pad: block \(block.shape) larger than tile \(tile)")
        if h == tile && w == tile { return block }
        let columns = (0..<tile).map { sourceIndex($0, length: w) }
        return block.withUnsafeBufferPointer { src in
            Tensor(shape: [c, tile, tile]) { out in
                for k in 0..<c {
                    for row in 0..<tile {
                        let from = k * h * w + sourceIndex(row, length: h) * w
                        let to = (k * tile + row) * tile
                        for col in 0..<tile { out[to + col] = src[from + columns[col]] }
                    }
                }
            }
        }
    }
}
