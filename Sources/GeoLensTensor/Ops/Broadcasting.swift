/// Kernels behind broadcasting binary ops and the reduction that undoes a broadcast in backward.
enum BroadcastKernel {
    /// out[i] = f(a[ia], b[ib]) over the broadcast of `aShape` and `bShape`.
    ///
    /// `f` is a value type so each op gets a specialized loop (a closure would cost a call per element).
    @inline(__always)
    static func apply<F: ElementwiseCombination>(
        _ a: Tensor, _ b: Tensor, op: String, _ f: F
    ) -> Tensor {
        if a.shape == b.shape {
            return Tensor(shape: a.shape) { out in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        ParallelKernels.forEachChunk(out.count) { range in
                            for i in range { out[i] = f(pa[i], pb[i]) }
                        }
                    }
                }
            }
        }
        let shape = Shape.broadcast(a.shape, b.shape, op: op)
        // One value per plane against a full tensor (`[N, C, 1, 1]` with `[N, C, H, W]`: channel
        // gates, per-channel scales): plane by plane, in parallel.
        if let planeSize = perPlaneBroadcast(full: a.shape, perPlane: b.shape, result: shape) {
            return Tensor(shape: shape) { out in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        ParallelKernels.forEachPlane(b.count, planeSize: planeSize) { plane in
                            let s = pb[plane], o = plane * planeSize
                            for j in o..<(o + planeSize) { out[j] = f(pa[j], s) }
                        }
                    }
                }
            }
        }
        if let planeSize = perPlaneBroadcast(full: b.shape, perPlane: a.shape, result: shape) {
            return Tensor(shape: shape) { out in
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        ParallelKernels.forEachPlane(a.count, planeSize: planeSize) { plane in
                            let s = pa[plane], o = plane * planeSize
                            for j in o..<(o + planeSize) { out[j] = f(s, pb[j]) }
                        }
                    }
                }
            }
        }
        if b.count == 1 {
            let s = b.storage.base[0]
            return Tensor(shape: shape) { out in
                a.withUnsafeBufferPointer { pa in
                    for i in 0..<out.count { out[i] = f(pa[i], s) }
                }
            }
        }
        if a.count == 1 {
            let s = a.storage.base[0]
            return Tensor(shape: shape) { out in
                b.withUnsafeBufferPointer { pb in
                    for i in 0..<out.count { out[i] = f(s, pb[i]) }
                }
            }
        }
        let rank = shape.count
        let sa = broadcastStrides(a.shape, to: shape)
        let sb = broadcastStrides(b.shape, to: shape)
        let inner = shape[rank - 1]
        let ia = sa[rank - 1], ib = sb[rank - 1]
        let rows = Shape.count(shape) / Swift.max(inner, 1)
        return Tensor(shape: shape) { out in
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    var index = [Int](repeating: 0, count: rank)
                    var offA = 0, offB = 0
                    for row in 0..<rows {
                        let o = row * inner
                        // Contiguous and constant inner runs get loops that vectorize (bias rows, masks).
                        if ia == 1 && ib == 1 {
                            for j in 0..<inner { out[o + j] = f(pa[offA + j], pb[offB + j]) }
                        } else if ia == 1 && ib == 0 {
                            let s = pb[offB]
                            for j in 0..<inner { out[o + j] = f(pa[offA + j], s) }
                        } else if ia == 0 && ib == 1 {
                            let s = pa[offA]
                            for j in 0..<inner { out[o + j] = f(s, pb[offB + j]) }
                        } else {
                            for j in 0..<inner { out[o + j] = f(pa[offA + j * ia], pb[offB + j * ib]) }
                        }
                        // Advance the multi-index over all but the innermost axis.
                        var d = rank - 2
                        while d >= 0 {
                            index[d] += 1
                            offA += sa[d]; offB += sb[d]
                            if index[d] < shape[d] { break }
                            offA -= sa[d] * shape[d]; offB -= sb[d] * shape[d]
                            index[d] = 0
                            d -= 1
                        }
                    }
                }
            }
        }
    }

    /// The plane size when `perPlane` holds one value per plane of `full` (equal leading axes,
    /// 1 x 1 in the last two) and `full` is the broadcast result; nil otherwise.
    @inline(__always)
    static func perPlaneBroadcast(full: [Int], perPlane: [Int], result: [Int]) -> Int? {
        let rank = result.count
        guard rank >= 3, full == result, perPlane.count == rank,
              perPlane[rank - 1] == 1, perPlane[rank - 2] == 1,
              perPlane.prefix(rank - 2).elementsEqual(result.prefix(rank - 2)) else { return nil }
        return result[rank - 1] * result[rank - 2]
    }

    /// Strides of `shape` read as a tensor of `target` shape (0 along broadcast axes).
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let pad = target.count - shape.count
        let own = Shape.strides(shape)
        return (0..<target.count).map { i in
            i < pad || shape[i - pad] == 1 ? 0 : own[i - pad]
        }
    }
}

extension Tensor {
    /// Sums a broadcast gradient back to `shape` (the inverse of broadcasting `shape` to `self.shape`).
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let pad = rank - target.count
        precondition(pad >= 0, "sum(toShape:): cannot reduce shape \(shape) to \(target)")
        var axes: [Int] = Array(0..<pad)
        for i in 0..<target.count where target[i] == 1 && shape[i + pad] != 1 { axes.append(i + pad) }
        return sum(alongAxes: axes, keepingDimensions: true).reshaped(target)
    }

    /// Elementwise sum of two tensors of the same shape, off the tape (gradient accumulation).
    func adding(_ other: Tensor) -> Tensor {
        precondition(shape == other.shape, "add: shapes \(shape) and \(other.shape) differ")
        return BroadcastKernel.apply(self, other, op: "add", Sum())
    }
}
