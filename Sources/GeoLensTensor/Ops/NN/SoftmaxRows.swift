internal import CGeoLensKernels

/// Softmax along the last axis, row by row: attention scores `[b, heads, queries, keys]` and
/// token logits. Softmax rows run in the C kernel `gl_softmax_row` (AVX2 exponentials when the CPU
/// has them); log-softmax rows in Swift. `SoftmaxKernel` walks [outer, n, inner] blocks, which for `inner == 1` would make
/// one work unit (and one scratch allocation) per row; here each worker takes whole rows, which
/// are contiguous, and needs no scratch memory.
enum SoftmaxRows {
    /// Rows one worker handles at least, so small tensors stay on the calling thread.
    static func minimumRows(_ n: Int) -> Int { Swift.max(1, ParallelKernels.grain / Swift.max(n, 1)) }

    static func forward(_ x: Tensor, rows: Int, n: Int, logarithm: Bool) -> Tensor {
        Tensor(shape: x.shape) { out in
            guard out.count > 0 else { return }
            x.withUnsafeBufferPointer { src in
                Parallel.forEach(rows, minimumWork: minimumRows(n)) { row in
                    let base = row * n
                    if !logarithm {
                        gl_softmax_row(src.baseAddress! + base, out.baseAddress! + base, n)
                        return
                    }
                    var maximum = -Float.infinity
                    for i in base ..< base + n { maximum = src[i] > maximum ? src[i] : maximum }
                    // All -inf (a fully masked row): PyTorch gives NaN; so does x - max here.
                    var sum: Float = 0
                    for i in base ..< base + n { sum += FastExponential.ofNonPositive(src[i] - maximum) }
                    let shift = maximum + _logf(sum)
                    for i in base ..< base + n { out[i] = src[i] - shift }
                }
            }
        }
    }

    /// softmax: dx = y * (g - sum g*y); log-softmax: dx = g - exp(y) * sum g.
    static func backward(_ g: Tensor, _ y: Tensor, rows: Int, n: Int, logarithm: Bool) -> Tensor {
        Tensor(shape: y.shape) { dx in
            guard dx.count > 0 else { return }
            g.withUnsafeBufferPointer { gp in
                y.withUnsafeBufferPointer { yp in
                    Parallel.forEach(rows, minimumWork: minimumRows(n)) { row in
                        let base = row * n
                        var sum: Float = 0
                        for i in base ..< base + n { sum += logarithm ? gp[i] : gp[i] * yp[i] }
                        for i in base ..< base + n {
                            dx[i] = logarithm ? gp[i] - FastExponential.ofNonPositive(yp[i]) * sum : yp[i] * (gp[i] - sum)
                        }
                    }
                }
            }
        }
    }
}
