/// Sum, mean and max reductions with gradients.
extension Tensor {
    /// Sum of all elements (a scalar of shape `[]`).
    public func sum() -> Tensor {
        let total = withUnsafeBufferPointer { p -> Float in
            var acc: Double = 0
            for v in p { acc += Double(v) }
            return Float(acc)
        }
        let inputShape = shape
        return Tape.record(Tensor(total), op: "sum", self) { g in
            Tensor(shape: inputShape, repeating: g.scalar)
        }
    }

    /// Mean of all elements.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// Sums over `axes`; keeps them as size 1 when `keepingDimensions` is true.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let axisSet = Set(axes.map { Shape.axis($0, rank: rank, op: "sum") })
        let keptShape = shape.enumerated().map { axisSet.contains($0.offset) ? 1 : $0.element }
        let y = ReductionKernel.sum(self, axes: axisSet, keptShape: keptShape)
        let outShape = keepingDimensions ? keptShape : shape.enumerated().filter { !axisSet.contains($0.offset) }.map(\.element)
        let inputShape = shape
        return Tape.record(y.reshaped(outShape), op: "sum_axes", self) { g in
            g.reshaped(keptShape).broadcast(to: inputShape)
        }
    }

    /// Sum along one axis.
    public func sum(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keepingDimension)
    }

    /// Mean over `axes`.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let n = Set(axes.map { Shape.axis($0, rank: rank, op: "mean") }).reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) * (1 / Float(Swift.max(n, 1)))
    }

    /// Mean along one axis.
    public func mean(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keepingDimension)
    }

    /// Maximum along `axis`; the gradient flows to the first maximal element (as `torch.max(dim)`).
    public func max(alongAxis axis: Int, keepingDimension: Bool = false) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "max")
        let outer = Shape.count(Array(shape[..<a])), n = shape[a], inner = Shape.count(Array(shape[(a + 1)...]))
        precondition(n > 0, "max: cannot reduce an empty axis \(axis) of shape \(shape)")
        var indices = [Int](repeating: 0, count: outer * inner)
        var kept = shape
        kept[a] = 1
        let y = Tensor(shape: kept) { out in
            withUnsafeBufferPointer { x in
                for o in 0..<outer {
                    for i in 0..<inner {
                        var best = x[o * n * inner + i], bestIndex = 0
                        for k in 1..<n {
                            let v = x[(o * n + k) * inner + i]
                            if v > best || v.isNaN { best = v; bestIndex = k; if v.isNaN { break } }
                        }
                        out[o * inner + i] = best
                        indices[o * inner + i] = bestIndex
                    }
                }
            }
        }
        var outShape = shape
        if keepingDimension { outShape[a] = 1 } else { outShape.remove(at: a) }
        let inputShape = shape
        let argmax = indices
        return Tape.record(y.reshaped(outShape), op: "max_axis", self) { g in
            Tensor(shape: inputShape) { dx in
                dx.initialize(repeating: 0)
                g.withUnsafeBufferPointer { gp in
                    for o in 0..<outer {
                        for i in 0..<inner {
                            dx[(o * n + argmax[o * inner + i]) * inner + i] = gp[o * inner + i]
                        }
                    }
                }
            }
        }
    }

    /// Index of the maximum along `axis` (first on ties), as Int values.
    public func argmax(alongAxis axis: Int) -> [Int] {
        let a = Shape.axis(axis, rank: rank, op: "argmax")
        let outer = Shape.count(Array(shape[..<a])), n = shape[a], inner = Shape.count(Array(shape[(a + 1)...]))
        var result = [Int](repeating: 0, count: outer * inner)
        withUnsafeBufferPointer { x in
            for o in 0..<outer {
                for i in 0..<inner {
                    var best = -Float.infinity, bestIndex = 0
                    for k in 0..<n where x[(o * n + k) * inner + i] > best {
                        best = x[(o * n + k) * inner + i]; bestIndex = k
                    }
                    result[o * inner + i] = bestIndex
                }
            }
        }
        return result
    }

    /// Repeats size-1 axes (and prepends axes) to reach `target` (NumPy broadcasting).
    public func broadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        let result = Shape.broadcast(shape, target, op: "broadcast")
        precondition(result == target, "broadcast: shape \(shape) cannot be broadcast to \(target)")
        return self + Tensor(zeros: target).detached()
    }
}

enum ReductionKernel {
    /// Sums `x` over `axes` into a tensor of `keptShape` (reduced axes of size 1), accumulating in Double.
    static func sum(_ x: Tensor, axes: Set<Int>, keptShape: [Int]) -> Tensor {
        let shape = x.shape
        // Fast path: a single run of reduced axes viewed as [outer, n, inner].
        let sorted = axes.sorted()
        if let first = sorted.first, sorted.last! - first + 1 == sorted.count {
            let outer = Shape.count(Array(shape[..<first]))
            let n = Shape.count(Array(shape[first...sorted.last!]))
            let inner = Shape.count(Array(shape[(sorted.last! + 1)...]))
            return Tensor(shape: keptShape) { out in
                x.withUnsafeBufferPointer { p in
                    var acc = [Double](repeating: 0, count: inner)
                    for o in 0..<outer {
                        for i in 0..<inner { acc[i] = 0 }
                        for k in 0..<n {
                            let base = (o * n + k) * inner
                            for i in 0..<inner { acc[i] += Double(p[base + i]) }
                        }
                        for i in 0..<inner { out[o * inner + i] = Float(acc[i]) }
                    }
                }
            }
        }
        // General path: walk the input once, scattering into the kept index.
        let outStrides = BroadcastKernel.broadcastStrides(keptShape, to: shape)
        let rank = shape.count
        var acc = [Double](repeating: 0, count: Shape.count(keptShape))
        x.withUnsafeBufferPointer { p in
            var index = [Int](repeating: 0, count: rank)
            var off = 0
            for i in 0..<p.count {
                acc[off] += Double(p[i])
                var d = rank - 1
                while d >= 0 {
                    index[d] += 1
                    off += outStrides[d]
                    if index[d] < shape[d] { break }
                    off -= outStrides[d] * shape[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
        return Tensor(shape: keptShape, scalars: acc.map { Float($0) })
    }
}
