internal import CGeoLensKernels

/// Elementwise activation functions with their PyTorch derivatives.
///
/// Each activation is a small value type (`ElementwiseActivation`) so the generic kernels below
/// are specialized for it: forward is one pass over the input, the pullback one pass over the
/// upstream gradient with the saved input and output, both split into chunks across threads for
/// large tensors. Derivatives at kinks follow PyTorch: `relu` passes the gradient only where
/// x > 0, `clipped` where min <= x <= max.
extension Tensor {
    /// max(x, 0); NaN stays NaN.
    public func relu() -> Tensor { activation(ReLU(), op: "relu") }

    /// x for x > 0, `negativeSlope * x` otherwise.
    public func leakyRelu(negativeSlope: Float = 0.01) -> Tensor {
        activation(LeakyReLU(slope: negativeSlope), op: "leaky_relu")
    }

    /// 1 / (1 + e^-x), evaluated without overflow for large |x|.
    public func sigmoid() -> Tensor { activation(Sigmoid(), op: "sigmoid") }

    /// Hyperbolic tangent.
    public func tanh() -> Tensor { activation(Tanh(), op: "tanh") }

    /// x * sigmoid(x) (also called swish).
    public func silu() -> Tensor { activation(SiLU(), op: "silu") }

    /// Gaussian error linear unit: x * Phi(x), or PyTorch's tanh approximation when `approximateTanh`.
    public func gelu(approximateTanh: Bool = false) -> Tensor {
        approximateTanh ? activation(GELUTanh(), op: "gelu_tanh") : activation(GELU(), op: "gelu")
    }

    /// max(0, min(1, alpha * x + beta)). PyTorch's default is alpha 1/6; ONNX HardSigmoid uses alpha 0.2.
    public func hardSigmoid(alpha: Float = 1.0 / 6.0, beta: Float = 0.5) -> Tensor {
        activation(HardSigmoid(alpha: alpha, beta: beta), op: "hard_sigmoid")
    }

    /// x * relu6(x + 3) / 6.
    public func hardSwish() -> Tensor { activation(HardSwish(), op: "hard_swish") }

    /// Clamps to [min, max] (either bound optional); `clipped(min: 0, max: 6)` is relu6. NaN stays NaN.
    public func clipped(min lower: Float? = nil, max upper: Float? = nil) -> Tensor {
        let clip = Clip(lower: lower ?? -.infinity, upper: upper ?? .infinity)
        precondition(clip.lower <= clip.upper, "clipped: min \(clip.lower) exceeds max \(clip.upper) for input of shape \(shape)")
        return activation(clip, op: "clip")
    }

    /// Applies `function` and records its pullback g * f'(x) (DeepLIFT's multiplier inside
    /// `GradientMode.withRescaleRule` for the activations the rule lists).
    func activation<F: ElementwiseActivation>(_ function: F, op: String) -> Tensor {
        let y = mapChunked(function)
        guard willRecord else { return y }
        let (x, saved) = (detached(), y.detached())
        let ordinary: @Sendable (Tensor) -> Tensor = { g in
            Tensor(shape: g.shape) { dx in
                g.withUnsafeBufferPointer { gp in
                    x.withUnsafeBufferPointer { xp in
                        saved.withUnsafeBufferPointer { yp in
                            ParallelKernels.forEachChunk(dx.count) { range in
                                for i in range { dx[i] = function.gradient(gp[i], input: xp[i], output: yp[i]) }
                            }
                        }
                    }
                }
            }
        }
        if F.takesRescaleRule, let epsilon = GradientMode.rescaleRuleEpsilon {
            return RescaleRule.record(y, op: op, input: self, ordinary: ordinary) { g in
                RescaleRule.activationGradient(g, input: x, output: saved, epsilon: epsilon, function: function)
            }
        }
        return Tape.record(y, op: op, self, pullback: ordinary)
    }
}

/// An elementwise function and its derivative, as a value so kernels specialize for it.
protocol ElementwiseActivation: ElementwiseFunction {
    /// The upstream gradient `g` times the derivative at input `x` (whose output was `y`).
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float
    /// True for the nonlinearities DeepLIFT's rescale rule replaces (captum's list: ReLU, leaky
    /// ReLU, sigmoid, tanh); see `GradientMode.withRescaleRule`.
    static var takesRescaleRule: Bool { get }
}

extension ElementwiseActivation {
    static var takesRescaleRule: Bool { false }
}

struct ReLU: ElementwiseActivation {
    static var takesRescaleRule: Bool { true }
    func callAsFunction(_ x: Float) -> Float { x < 0 ? 0 : x }
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float { x > 0 ? g : 0 }
}

struct LeakyReLU: ElementwiseActivation {
    static var takesRescaleRule: Bool { true }
    let slope: Float
    func callAsFunction(_ x: Float) -> Float { x > 0 ? x : x * slope }
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float { x > 0 ? g : g * slope }
}

struct Sigmoid: ElementwiseActivation {
    static var takesRescaleRule: Bool { true }
    func callAsFunction(_ x: Float) -> Float { ActivationMath.sigmoid(x) }
    func applyVectorized(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        gl_sigmoid(x, y, count)
        return true
    }
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float { g * y * (1 - y) }
}

struct Tanh: ElementwiseActivation {
    static var takesRescaleRule: Bool { true }
    func callAsFunction(_ x: Float) -> Float { _tanhf(x) }
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float { g * (1 - y * y) }
}

struct SiLU: ElementwiseActivation {
    func callAsFunction(_ x: Float) -> Float { x * ActivationMath.sigmoid(x) }
    func applyVectorized(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        gl_silu(x, y, count)
        return true
    }
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float {
        let s = ActivationMath.sigmoid(x)
        return g * s * (1 + x * (1 - s))
    }
}

/// x Phi(x): forward in the C kernel `gl_gelu` (AVX2 when the CPU has it), the derivative with the
/// branch-free `FastErf`; both use the same erf formula.
struct GELU: ElementwiseActivation {
    func callAsFunction(_ x: Float) -> Float { 0.5 * x * (1 + FastErf.of(x * ActivationMath.sqrtHalf)) }
    func applyVectorized(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) -> Bool {
        gl_gelu(x, y, count)
        return true
    }
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float {
        let cdf = 0.5 * (1 + FastErf.of(x * ActivationMath.sqrtHalf))
        let pdf = FastExponential.ofNonPositive(-0.5 * x * x) * ActivationMath.inverseSqrtTwoPi
        return g * (cdf + x * pdf)
    }
}

/// PyTorch `gelu(approximate="tanh")`: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
struct GELUTanh: ElementwiseActivation {
    func callAsFunction(_ x: Float) -> Float { 0.5 * x * (1 + _tanhf(ActivationMath.geluInner(x))) }
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float {
        let t = _tanhf(ActivationMath.geluInner(x))
        let innerDerivative = ActivationMath.sqrtTwoOverPi * (1 + 3 * ActivationMath.geluKappa * x * x)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * innerDerivative)
    }
}

struct HardSigmoid: ElementwiseActivation {
    let alpha: Float, beta: Float
    func callAsFunction(_ x: Float) -> Float {
        let v = alpha * x + beta
        return v < 0 ? 0 : (v > 1 ? 1 : v)
    }
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float {
        let v = alpha * x + beta
        return v > 0 && v < 1 ? g * alpha : 0
    }
}

struct HardSwish: ElementwiseActivation {
    func callAsFunction(_ x: Float) -> Float {
        let r = x + 3
        return x * (r < 0 ? 0 : (r > 6 ? 6 : r)) / 6
    }
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float {
        x < -3 ? 0 : (x <= 3 ? g * (x / 3 + 0.5) : g)
    }
}

struct Clip: ElementwiseActivation {
    let lower: Float, upper: Float
    func callAsFunction(_ x: Float) -> Float { x < lower ? lower : (x > upper ? upper : x) }
    func gradient(_ g: Float, input x: Float, output y: Float) -> Float { x >= lower && x <= upper ? g : 0 }
}

/// Scalar formulas and constants shared by the activations.
enum ActivationMath {
    static let sqrtHalf: Float = 0.70710678118654752
    static let inverseSqrtTwoPi: Float = 0.39894228040143268
    static let sqrtTwoOverPi: Float = 0.79788456080286536
    static let geluKappa: Float = 0.044715

    /// The logistic function without overflow: with e = exp(-|x|), 1 / (1 + e) for x >= 0 and
    /// e / (1 + e) otherwise. One exp and a select, no data-dependent branch.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        let e = FastExponential.ofNonPositive(-Swift.abs(x))
        let s = 1 / (1 + e)
        return x >= 0 ? s : e * s
    }

    /// sqrt(2/pi) * (x + 0.044715 x^3), the argument of tanh in the approximate GELU.
    @inline(__always)
    static func geluInner(_ x: Float) -> Float {
        sqrtTwoOverPi * (x + geluKappa * x * x * x)
    }
}
