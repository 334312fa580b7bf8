/// Matrix products through `cblas_sgemm`, with gradients.
extension Tensor {
    /// Matrix product of `[..., m, k]` and `[k, n]`, or batched `[b, m, k]` x `[b, k, n]`.
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(rank >= 2 && (other.rank == 2 || other.rank == rank),
                     "matmul: shapes \(shape) and \(other.shape) are not [..., m, k] x [k, n] or [b, m, k] x [b, k, n]")
        let k = shape[rank - 1]
        let n = other.shape[other.rank - 1]
        precondition(other.shape[other.rank - 2] == k,
                     "matmul: inner dimensions of \(shape) and \(other.shape) differ")
        if other.rank == 2 {
            let m = count / Swift.max(k, 1)
            let y = Tensor(shape: Array(shape.dropLast()) + [n]) { out in
                withUnsafeBufferPointer { a in
                    other.withUnsafeBufferPointer { b in
                        BLAS.sgemm(m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: b.baseAddress!, ldb: n,
                                   c: out.baseAddress!, ldc: n)
                    }
                }
            }
            return Tape.record(y, op: "matmul", inputs: [self, other]) { g, needs in
                let a = self.detached(), b = other.detached()
                return [needs[0] ? g.matmul(b.transposed()) : nil,
                        needs[1] ? a.reshaped([m, k]).transposed().matmul(g.reshaped([m, n])) : nil]
            }
        }
        let batch = Shape.count(Array(shape.dropLast(2)))
        precondition(Array(shape.dropLast(2)) == Array(other.shape.dropLast(2)),
                     "matmul: batch dimensions of \(shape) and \(other.shape) differ")
        let m = shape[rank - 2]
        let y = Tensor(shape: Array(shape.dropLast()) + [n]) { out in
            withUnsafeBufferPointer { a in
                other.withUnsafeBufferPointer { b in
                    for i in 0..<batch {
                        BLAS.sgemm(m: m, n: n, k: k, a: a.baseAddress! + i * m * k, lda: k,
                                   b: b.baseAddress! + i * k * n, ldb: n, c: out.baseAddress! + i * m * n, ldc: n)
                    }
                }
            }
        }
        return Tape.record(y, op: "matmul", inputs: [self, other]) { g, needs in
            let a = self.detached(), b = other.detached()
            return [needs[0] ? g.matmul(b.transposed()) : nil,
                    needs[1] ? a.transposed().matmul(g) : nil]
        }
    }

    /// `x W^T + b` for `x` of shape `[..., in]`, `W` of shape `[out, in]`, `b` of shape `[out]` (as `torch.nn.functional.linear`).
    public func linear(weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 2 && shape.last == weight.shape[1],
                     "linear: input \(shape) does not match weight \(weight.shape) ([out, in])")
        let y = matmul(weight.transposed())
        guard let bias else { return y }
        precondition(bias.shape == [weight.shape[0]], "linear: bias \(bias.shape) does not match weight \(weight.shape)")
        return y + bias
    }
}
