/// Elementwise activation functions with their PyTorch derivatives.
///
/// Every forward is one pass over the input (parallel in chunks for large tensors); every
/// pullback is one pass over the upstream gradient and the saved input. Derivatives at kinks
/// follow PyTorch: `relu` passes the gradient only where x > 0, `clipped` where min <= x <= max.
extension Tensor {
    /// max(x, 0); NaN stays NaN.
    public func relu() -> Tensor {
        let x = detached()
        let y = mapChunked { $0 < 0 ? 0 : $0 }
        return Tape.record(y, op: "relu", self) { g in g.zipChunked(x) { $1 > 0 ? $0 : 0 } }
    }

    /// x for x > 0, `negativeSlope * x` otherwise.
    public func leakyRelu(negativeSlope: Float = 0.01) -> Tensor {
        let x = detached()
        let y = mapChunked { $0 > 0 ? $0 : $0 * negativeSlope }
        return Tape.record(y, op: "leaky_relu", self) { g in
            g.zipChunked(x) { $1 > 0 ? $0 : $0 * negativeSlope }
        }
    }

    /// 1 / (1 + e^-x), evaluated without overflow for large |x|.
    public func sigmoid() -> Tensor {
        let y = mapChunked(ActivationMath.sigmoid)
        let saved = y.detached()
        return Tape.record(y, op: "sigmoid", self) { g in g.zipChunked(saved) { $0 * $1 * (1 - $1) } }
    }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor {
        let y = mapChunked { _tanhf($0) }
        let saved = y.detached()
        return Tape.record(y, op: "tanh", self) { g in g.zipChunked(saved) { $0 * (1 - $1 * $1) } }
    }

    /// x * sigmoid(x) (also called swish).
    public func silu() -> Tensor {
        let x = detached()
        let y = mapChunked { $0 * ActivationMath.sigmoid($0) }
        return Tape.record(y, op: "silu", self) { g in
            g.zipChunked(x) { g, x in
                let s = ActivationMath.sigmoid(x)
                return g * s * (1 + x * (1 - s))
            }
        }
    }

    /// Gaussian error linear unit: x * Phi(x), or PyTorch's tanh approximation when `approximateTanh`.
    public func gelu(approximateTanh: Bool = false) -> Tensor {
        let x = detached()
        if approximateTanh {
            let y = mapChunked { x in 0.5 * x * (1 + _tanhf(ActivationMath.geluInner(x))) }
            return Tape.record(y, op: "gelu_tanh", self) { g in
                g.zipChunked(x) { g, x in
                    let t = _tanhf(ActivationMath.geluInner(x))
                    let left = 0.5 * x, right = 1 + t
                    let innerDerivative = ActivationMath.sqrtTwoOverPi * (1 + 3 * ActivationMath.geluKappa * x * x)
                    return g * (0.5 * right + left * (1 - t * t) * innerDerivative)
                }
            }
        }
        let y = mapChunked { x in 0.5 * x * (1 + _erff(x * ActivationMath.sqrtHalf)) }
        return Tape.record(y, op: "gelu", self) { g in
            g.zipChunked(x) { g, x in
                let cdf = 0.5 * (1 + _erff(x * ActivationMath.sqrtHalf))
                let pdf = _expf(-0.5 * x * x) * ActivationMath.inverseSqrtTwoPi
                return g * (cdf + x * pdf)
            }
        }
    }

    /// max(0, min(1, alpha * x + beta)). PyTorch's default is alpha 1/6; ONNX HardSigmoid uses alpha 0.2.
    public func hardSigmoid(alpha: Float = 1.0 / 6.0, beta: Float = 0.5) -> Tensor {
        let x = detached()
        let y = mapChunked { x in
            let v = alpha * x + beta
            return v < 0 ? 0 : (v > 1 ? 1 : v)
        }
        return Tape.record(y, op: "hard_sigmoid", self) { g in
            g.zipChunked(x) { g, x in
                let v = alpha * x + beta
                return v > 0 && v < 1 ? g * alpha : 0
            }
        }
    }

    /// x * relu6(x + 3) / 6.
    public func hardSwish() -> Tensor {
        let x = detached()
        let y = mapChunked { x in
            let r = x + 3
            return x * (r < 0 ? 0 : (r > 6 ? 6 : r)) / 6
        }
        return Tape.record(y, op: "hard_swish", self) { g in
            g.zipChunked(x) { g, x in
                x < -3 ? 0 : (x <= 3 ? g * (x / 3 + 0.5) : g)
            }
        }
    }

    /// Clamps to [min, max] (either bound optional); `clipped(min: 0, max: 6)` is relu6. NaN stays NaN.
    public func clipped(min lower: Float? = nil, max upper: Float? = nil) -> Tensor {
        let lo = lower ?? -.infinity, hi = upper ?? .infinity
        precondition(lo <= hi, "clipped: min \(lo) exceeds max \(hi) for input of shape \(shape)")
        let x = detached()
        let y = mapChunked { $0 < lo ? lo : ($0 > hi ? hi : $0) }
        return Tape.record(y, op: "clip", self) { g in
            g.zipChunked(x) { $1 >= lo && $1 <= hi ? $0 : 0 }
        }
    }
}

/// Scalar formulas and constants shared by the activations.
enum ActivationMath {
    static let sqrtHalf: Float = 0.70710678118654752
    static let inverseSqrtTwoPi: Float = 0.39894228040143268
    static let sqrtTwoOverPi: Float = 0.79788456080286536
    static let geluKappa: Float = 0.044715

    /// The logistic function without overflow: e^x / (1 + e^x) for negative x.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        if x >= 0 { return 1 / (1 + _expf(-x)) }
        let e = _expf(x)
        return e / (1 + e)
    }

    /// sqrt(2/pi) * (x + 0.044715 x^3), the argument of tanh in the approximate GELU.
    @inline(__always)
    static func geluInner(_ x: Float) -> Float {
        sqrtTwoOverPi * (x + geluKappa * x * x * x)
    }
}
