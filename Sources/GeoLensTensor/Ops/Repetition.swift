/// Tiling and triangular masks (ONNX `Tile`, `Trilu`), built from broadcasting and selection so
/// their gradients come from those ops.
extension Tensor {
    /// The tensor repeated `repeats[d]` times along each axis d (as `numpy.tile` with one count per axis).
    public func tiled(_ repeats: [Int]) -> Tensor {
        precondition(repeats.count == rank && repeats.allSatisfy { $0 >= 0 },
                     "tiled: repeats \(repeats) must give one non-negative count per axis of shape \(shape)")
        if repeats.allSatisfy({ $0 == 1 }) { return self }
        // [d0, d1] -> [1, d0, 1, d1] -> broadcast [r0, d0, r1, d1] -> [r0 * d0, r1 * d1].
        let spread = shape.flatMap { [1, $0] }
        let target = zip(repeats, shape).flatMap { [$0, $1] }
        let result = zip(repeats, shape).map { $0 * $1 }
        if Shape.count(result) == 0 { return Tensor(zeros: result) }
        return reshaped(spread).broadcast(to: target).reshaped(result)
    }

    /// The upper (`upper`) or lower triangle of the last two axes, counted from diagonal `k`
    /// (positive: above the main diagonal), other elements zero (as `torch.triu`/`torch.tril`).
    public func triangular(upper: Bool, diagonal k: Int = 0) -> Tensor {
        precondition(rank >= 2, "triangular: expected rank >= 2, got shape \(shape)")
        let (rows, columns) = (shape[rank - 2], shape[rank - 1])
        let mask = Tensor(shape: [rows, columns]) { m in
            for i in 0..<rows {
                for j in 0..<columns { m[i * columns + j] = (upper ? j - i >= k : j - i <= k) ? 1 : 0 }
            }
        }
        // A selection, not a product: an infinite value outside the triangle must become 0, not NaN.
        return selecting(where: mask, otherwise: Tensor(0))
    }
}
