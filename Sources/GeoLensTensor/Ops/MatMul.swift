/// Matrix products through `cblas_sgemm`, with gradients.
extension Tensor {
    /// NumPy matrix product of tensors of rank >= 2: `[..., m, k] x [k, n]`, or `[..., m, k] x
    /// [..., k, n]` with the batch axes broadcast (`[b, h, m, k] x [1, h, k, n]`). Gradients are
    /// summed over the batches an operand was broadcast to. See `MatrixProduct` for how the GEMMs
    /// are split over threads.
    public func matmul(_ other: Tensor) -> Tensor {
        let product = MatrixProduct(shape, other.shape)
        let y = product.forward(self, other)
        return Tape.record(y, op: "matmul", inputs: [self, other]) { g, needs in
            let a = self.detached(), b = other.detached()
            return [needs[0] ? product.leftGradient(g, b) : nil, needs[1] ? product.rightGradient(g, a) : nil]
        }
    }

    /// `self x weight + bias` for a matrix `weight` [k, n] and `bias` [n] added to every row, in one
    /// pass (the rows start as the bias and the GEMM adds the product): ONNX `MatMul` + `Add`, as
    /// linear layers export. Gradients as for `matmul` and `+`.
    public func matmul(_ weight: Tensor, addingRow bias: Tensor) -> Tensor {
        let product = MatrixProduct(shape, weight.shape)
        precondition(weight.rank == 2 && bias.count == weight.shape[1],
                     "matmul(addingRow:): weight \(weight.shape) and bias \(bias.shape) are not [k, n] and n values")
        let y = product.forward(self, weight, bias: bias)
        let biasShape = bias.shape, n = weight.shape[1]
        return Tape.record(y, op: "matmul_bias", inputs: [self, weight, bias]) { g, needs in
            let a = self.detached(), b = weight.detached()
            return [needs[0] ? product.leftGradient(g, b) : nil, needs[1] ? product.rightGradient(g, a) : nil,
                    needs[2] ? g.reshaped([-1, n]).sum(alongAxis: 0).reshaped(biasShape) : nil]
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
