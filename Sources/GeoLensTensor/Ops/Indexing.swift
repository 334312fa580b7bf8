/// Element selection by index tensors and by masks (ONNX `GatherElements`, `ScatterND`, `Where`),
/// with gradients. Indices are integers stored as Float32 (exact below 2^24) and may be negative
/// (counted from the end of their axis).
extension Tensor {
    /// `out[i][j][k] = self[indices[i][j][k]][j][k]` for `axis` 0, likewise for other axes (as
    /// `torch.gather`): `indices` has the rank of `self`, and its extents are at most `self`'s.
    /// The gradient is scattered back and added where an index repeats.
    public func gatherElements(indices: Tensor, alongAxis axis: Int) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "gatherElements")
        precondition(indices.rank == rank && zip(indices.shape, shape).enumerated().allSatisfy { $0.offset == a || $0.element.0 <= $0.element.1 },
                     "gatherElements: indices of shape \(indices.shape) do not fit data of shape \(shape) along axis \(axis)")
        let sources = ElementIndexing.sources(indices, dataShape: shape, axis: a)
        let y = Tensor(shape: indices.shape) { out in
            withUnsafeBufferPointer { x in
                for i in 0..<out.count { out[i] = x[sources[i]] }
            }
        }
        let inputShape = shape
        return Tape.record(y, op: "gather_elements", self) { g in
            Tensor(shape: inputShape) { dx in
                dx.initialize(repeating: 0)
                g.withUnsafeBufferPointer { gp in
                    for i in 0..<gp.count { dx[sources[i]] += gp[i] }
                }
            }
        }
    }

    /// A copy of `self` with the slices addressed by the last axis of `indices` replaced by (or,
    /// with `accumulate`, increased by) `updates` (ONNX `ScatterND`, reduction `none` or `add`).
    /// `indices` is `[..., q]` with `q <= rank`; `updates` is `indices.shape.dropLast() + shape[q...]`.
    public func scatterND(indices: Tensor, updates: Tensor, accumulate: Bool = false) -> Tensor {
        let q = indices.shape.last ?? 0
        precondition(indices.rank >= 1 && q <= rank, "scatterND: indices of shape \(indices.shape) do not fit data of shape \(shape)")
        let sliceShape = Array(shape[q...])
        precondition(updates.shape == Array(indices.shape.dropLast()) + sliceShape,
                     "scatterND: updates of shape \(updates.shape) do not match indices \(indices.shape) and data \(shape)")
        let slice = Shape.count(sliceShape)
        let strides = Shape.strides(shape)
        let offsets: [Int] = indices.withUnsafeBufferPointer { p in
            (0..<(indices.count / Swift.max(q, 1))).map { t in
                (0..<q).reduce(0) { offset, d in
                    let i = Int(p[t * q + d])
                    let position = i < 0 ? i + shape[d] : i
                    precondition(position >= 0 && position < shape[d], "scatterND: index \(i) is out of range for axis \(d) of \(shape)")
                    return offset + position * strides[d]
                }
            }
        }
        let y = Tensor(shape: shape) { out in
            withUnsafeBufferPointer { x in out.baseAddress!.update(from: x.baseAddress!, count: x.count) }
            updates.withUnsafeBufferPointer { u in
                for (t, offset) in offsets.enumerated() {
                    for j in 0..<slice { out[offset + j] = accumulate ? out[offset + j] + u[t * slice + j] : u[t * slice + j] }
                }
            }
        }
        let updateShape = updates.shape
        return Tape.record(y, op: "scatter_nd", inputs: [self, updates]) { g, needs in
            let data: Tensor? = needs[0] ? (accumulate ? g : Tensor(shape: g.shape) { dx in
                g.withUnsafeBufferPointer { gp in dx.baseAddress!.update(from: gp.baseAddress!, count: gp.count) }
                for offset in offsets { for j in 0..<slice { dx[offset + j] = 0 } }
            }) : nil
            // Overwritten positions take the gradient of the last update written there.
            var writer = [Int: Int]()
            if !accumulate { for (t, offset) in offsets.enumerated() { writer[offset] = t } }
            let update: Tensor? = needs[1] ? Tensor(shape: updateShape) { du in
                g.withUnsafeBufferPointer { gp in
                    for (t, offset) in offsets.enumerated() {
                        let wins = accumulate || writer[offset] == t
                        for j in 0..<slice { du[t * slice + j] = wins ? gp[offset + j] : 0 }
                    }
                }
            } : nil
            return [data, update]
        }
    }

    /// `self` where `condition` is non-zero, `other` elsewhere; all three broadcast together (ONNX
    /// `Where`). Each branch gets the gradient where it was chosen, so an infinite value in the
    /// branch not taken (a `-inf` attention mask) leaves no NaN behind.
    public func selecting(where condition: Tensor, otherwise other: Tensor) -> Tensor {
        let shape = Shape.broadcast(Shape.broadcast(condition.shape, self.shape, op: "where"), other.shape, op: "where")
        let mask = condition.detached().broadcast(to: shape).mapScalars { $0 != 0 ? 1 : 0 }
        let (a, b) = (broadcast(to: shape).detached(), other.broadcast(to: shape).detached())
        let y = Tensor(shape: shape) { out in
            mask.withUnsafeBufferPointer { c in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        for i in 0..<out.count { out[i] = c[i] != 0 ? pa[i] : pb[i] }
                    }
                }
            }
        }
        let (sa, sb) = (self.shape, other.shape)
        return Tape.record(y, op: "where", inputs: [self, other]) { g, needs in
            [needs[0] ? g.zipScalars(mask) { $1 != 0 ? $0 : 0 }.summed(toShape: sa) : nil,
             needs[1] ? g.zipScalars(mask) { $1 != 0 ? 0 : $0 }.summed(toShape: sb) : nil]
        }
    }
}

/// Flat source offsets for `gatherElements`.
enum ElementIndexing {
    /// For every element of `indices`, the flat offset in a tensor of `dataShape` it reads.
    static func sources(_ indices: Tensor, dataShape: [Int], axis: Int) -> [Int] {
        let shape = indices.shape, rank = shape.count
        let strides = Shape.strides(dataShape), extent = dataShape[axis]
        var result = [Int](repeating: 0, count: indices.count)
        indices.withUnsafeBufferPointer { p in
            var position = [Int](repeating: 0, count: rank)
            for i in 0..<p.count {
                var offset = 0
                for d in 0..<rank where d != axis { offset += position[d] * strides[d] }
                let raw = Int(p[i]), index = raw < 0 ? raw + extent : raw
                precondition(index >= 0 && index < extent, "gatherElements: index \(raw) is out of range for axis \(axis) of \(dataShape)")
                result[i] = offset + index * strides[axis]
                var d = rank - 1
                while d >= 0 {
                    position[d] += 1
                    if position[d] < shape[d] { break }
                    position[d] = 0
                    d -= 1
                }
            }
        }
        return result
    }
}
