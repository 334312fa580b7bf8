/// Dropout (elementwise and per feature map), seeded and reproducible.
///
/// When active, each element (or each whole [H, W...] map for `dropout2d`) is zeroed with
/// probability `p` and the survivors are scaled by 1 / (1 - p), so the expectation is unchanged.
/// The mask is drawn from `rng` in row-major order, one uniform draw per element (or map), so
/// the same seed always drops the same elements. Inactive dropout returns the input unchanged.
extension Tensor {
    public func dropout(probability: Float, isActive: Bool, using rng: inout SeededGenerator) -> Tensor {
        DropoutKernel.check(probability, shape: shape, op: "dropout")
        guard isActive && probability > 0 else { return self }
        let mask = DropoutKernel.mask(count: count, probability: probability, using: &rng)
        return DropoutKernel.apply(self, mask: mask, repeat: 1, op: "dropout")
    }

    /// Channel dropout (whole feature maps, as nn.Dropout2d): one draw per (image, channel) of [N, C, H, W].
    public func dropout2d(probability: Float, isActive: Bool, using rng: inout SeededGenerator) -> Tensor {
        DropoutKernel.check(probability, shape: shape, op: "dropout2d")
        precondition(rank >= 3, "dropout2d: expected [N, C, H, W] (or [N, C, L]) input, got shape \(shape)")
        guard isActive && probability > 0 else { return self }
        let maps = shape[0] * shape[1]
        let mask = DropoutKernel.mask(count: maps, probability: probability, using: &rng)
        return DropoutKernel.apply(self, mask: mask, repeat: maps == 0 ? 0 : count / maps, op: "dropout2d")
    }
}

enum DropoutKernel {
    static func check(_ p: Float, shape: [Int], op: String) {
        precondition(p >= 0 && p <= 1, "\(op): probability \(p) is outside [0, 1] (input shape \(shape))")
    }

    /// Per-unit multipliers: 0 with probability p, else 1 / (1 - p) (all zeros when p == 1).
    static func mask(count: Int, probability p: Float, using rng: inout SeededGenerator) -> Tensor {
        let keep: Float = p >= 1 ? 0 : 1 / (1 - p)
        return Tensor(shape: [count]) { out in
            for i in 0..<count { out[i] = rng.nextUniform() < p ? 0 : keep }
        }
    }

    /// y = x * mask, each mask entry covering `repeat` consecutive elements; the pullback uses the same mask.
    static func apply(_ x: Tensor, mask: Tensor, repeat run: Int, op: String) -> Tensor {
        let y = multiply(x, mask: mask, run: run)
        return Tape.record(y, op: op, x) { g in multiply(g, mask: mask, run: run) }
    }

    private static func multiply(_ x: Tensor, mask: Tensor, run: Int) -> Tensor {
        if run == 1 { return x.zipChunked(mask.reshaped(x.shape), Product()) }
        return Tensor(shape: x.shape) { out in
            x.withUnsafeBufferPointer { src in
                mask.withUnsafeBufferPointer { m in
                    ParallelKernels.forEachPlane(m.count, planeSize: run) { unit in
                        let scale = m[unit]
                        for j in unit * run ..< (unit + 1) * run { out[j] = src[j] * scale }
                    }
                }
            }
        }
    }
}
