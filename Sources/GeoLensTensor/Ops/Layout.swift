/// Permute, concatenate, split and slice, with gradients. Results are contiguous copies.
extension Tensor {
    /// Reorders axes: result axis i is input axis `order[i]` (as `torch.permute`).
    public func permuted(_ order: [Int]) -> Tensor {
        let order = order.map { Shape.axis($0, rank: rank, op: "permute") }
        precondition(order.count == rank && Set(order).count == rank,
                     "permute: order \(order) is not a permutation of the axes of shape \(shape)")
        if order == Array(0..<rank) { return self }
        let outShape = order.map { shape[$0] }
        let inStrides = Shape.strides(shape)
        let strides = order.map { inStrides[$0] }
        let inputShape = self.shape
        let y = Tensor(shape: outShape) { out in
            withUnsafeBufferPointer { src in
                if let s = src.baseAddress, let d = out.baseAddress,
                   PermutationKernel.copy(s, shape: inputShape, order: order, into: d) { return }
                let r = outShape.count
                let inner = outShape[r - 1], innerStride = strides[r - 1]
                let rows = out.count / Swift.max(inner, 1)
                var index = [Int](repeating: 0, count: r)
                var off = 0
                for row in 0..<rows {
                    let o = row * inner
                    for j in 0..<inner { out[o + j] = src[off + j * innerStride] }
                    var d = r - 2
                    while d >= 0 {
                        index[d] += 1
                        off += strides[d]
                        if index[d] < outShape[d] { break }
                        off -= strides[d] * outShape[d]
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
        var inverseOrder = [Int](repeating: 0, count: rank)
        for (i, o) in order.enumerated() { inverseOrder[o] = i }
        let inverse = inverseOrder
        return Tape.record(y, op: "permute", self) { g in g.permuted(inverse) }
    }

    /// Swaps two axes.
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(Shape.axis(a, rank: rank, op: "transpose"), Shape.axis(b, rank: rank, op: "transpose"))
        return permuted(order)
    }

    /// Joins tensors along `axis`; all other extents must agree.
    public static func concatenate(_ tensors: [Tensor], alongAxis axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat: no tensors to join")
        let first = tensors[0]
        let a = Shape.axis(axis, rank: first.rank, op: "concat")
        for t in tensors {
            precondition(t.rank == first.rank && (0..<first.rank).allSatisfy { $0 == a || t.shape[$0] == first.shape[$0] },
                         "concat: shapes \(first.shape) and \(t.shape) differ outside axis \(axis)")
        }
        let sizes = tensors.map { $0.shape[a] }
        var outShape = first.shape
        outShape[a] = sizes.reduce(0, +)
        let outer = Shape.count(Array(first.shape[..<a]))
        let inner = Shape.count(Array(first.shape[(a + 1)...]))
        let y = Tensor(shape: outShape) { out in
            let rowOut = outShape[a] * inner
            var offset = 0
            for t in tensors {
                let chunk = t.shape[a] * inner
                t.withUnsafeBufferPointer { src in
                    guard let s = src.baseAddress, let d = out.baseAddress else { return }
                    for o in 0..<outer {
                        (d + o * rowOut + offset).update(from: s + o * chunk, count: chunk)
                    }
                }
                offset += chunk
            }
        }
        return Tape.record(y, op: "concat", inputs: tensors) { g, needs in
            let parts = g.split(sizes: sizes, alongAxis: a)
            return zip(parts, needs).map { $1 ? $0 : nil }
        }
    }

    /// Splits along `axis` into pieces of the given sizes (which must add up to the axis extent).
    public func split(sizes: [Int], alongAxis axis: Int) -> [Tensor] {
        let a = Shape.axis(axis, rank: rank, op: "split")
        precondition(sizes.reduce(0, +) == shape[a] && sizes.allSatisfy { $0 >= 0 },
                     "split: sizes \(sizes) do not add up to extent \(shape[a]) of axis \(axis) in shape \(shape)")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return slice(alongAxis: a, start: start, end: start + size)
        }
    }

    /// Elements `start..<end` with `step` along `axis` (as `x[..., start:end:step, ...]`; step >= 1).
    public func slice(alongAxis axis: Int, start: Int, end: Int, step: Int = 1) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "slice")
        precondition(step >= 1, "slice: step must be at least 1, got \(step)")
        precondition(start >= 0 && start <= end && end <= shape[a],
                     "slice: range \(start)..<\(end) is outside axis \(axis) of shape \(shape)")
        let n = (end - start + step - 1) / step
        var outShape = shape
        outShape[a] = n
        let outer = Shape.count(Array(shape[..<a])), extent = shape[a]
        let inner = Shape.count(Array(shape[(a + 1)...]))
        let y = Tensor(shape: outShape) { out in
            withUnsafeBufferPointer { src in
                guard let s = src.baseAddress, let d = out.baseAddress else { return }
                for o in 0..<outer {
                    for k in 0..<n {
                        (d + (o * n + k) * inner).update(from: s + (o * extent + start + k * step) * inner, count: inner)
                    }
                }
            }
        }
        let inputShape = shape
        return Tape.record(y, op: "slice", self) { g in
            Tensor(shape: inputShape) { dx in
                dx.initialize(repeating: 0)
                g.withUnsafeBufferPointer { gp in
                    guard let s = gp.baseAddress, let d = dx.baseAddress else { return }
                    for o in 0..<outer {
                        for k in 0..<n {
                            (d + (o * extent + start + k * step) * inner).update(from: s + (o * n + k) * inner, count: inner)
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// Stacks tensors of one shape along a new leading axis (`torch.stack(dim=0)`).
    public static func stacked(_ tensors: [Tensor]) -> Tensor {
        precondition(!tensors.isEmpty, "stack: no tensors to stack")
        let shape = tensors[0].shape
        for t in tensors {
            precondition(t.shape == shape, "stack: shapes \(shape) and \(t.shape) differ")
        }
        return concatenate(tensors.map { $0.reshaped([1] + shape) }, alongAxis: 0)
    }
}
