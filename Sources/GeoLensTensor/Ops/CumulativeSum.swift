/// Running sums along one axis (ONNX `CumSum`, `torch.cumsum`), with gradients.
extension Tensor {
    /// The running sum along `axis`: element i is the sum of elements 0...i (`exclusive`: 0..<i;
    /// `reverse`: from the end instead, i...n-1 or i+1..<n). The gradient is the running sum of
    /// the upstream gradient in the opposite direction.
    public func cumulativeSum(alongAxis axis: Int, exclusive: Bool = false, reverse: Bool = false) -> Tensor {
        let a = Shape.axis(axis, rank: rank, op: "cumulativeSum")
        let y = CumulativeSumKernel.apply(self, axis: a, exclusive: exclusive, reverse: reverse)
        return Tape.record(y, op: "cumsum", self) { g in
            CumulativeSumKernel.apply(g, axis: a, exclusive: exclusive, reverse: !reverse)
        }
    }
}

enum CumulativeSumKernel {
    /// Running sums of `x` viewed as [outer, n, inner] around `axis`, accumulated in Double.
    static func apply(_ x: Tensor, axis: Int, exclusive: Bool, reverse: Bool) -> Tensor {
        let shape = x.shape
        let outer = Shape.count(Array(shape[..<axis])), n = shape[axis], inner = Shape.count(Array(shape[(axis + 1)...]))
        return Tensor(shape: shape) { out in
            x.withUnsafeBufferPointer { p in
                var acc = [Double](repeating: 0, count: inner)
                for o in 0..<outer {
                    for i in 0..<inner { acc[i] = 0 }
                    for step in 0..<n {
                        let base = (o * n + (reverse ? n - 1 - step : step)) * inner
                        for i in 0..<inner {
                            if exclusive {
                                out[base + i] = Float(acc[i])
                                acc[i] += Double(p[base + i])
                            } else {
                                acc[i] += Double(p[base + i])
                                out[base + i] = Float(acc[i])
                            }
                        }
                    }
                }
            }
        }
    }
}
