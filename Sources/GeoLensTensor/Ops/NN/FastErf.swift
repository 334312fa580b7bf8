/// erf(x) without calls or data-dependent branches, so GELU loops over whole token tensors
/// vectorize (a libm `erff` call per element dominated a ViT's MLP blocks).
///
/// Abramowitz and Stegun 7.1.26: erf(|x|) = 1 - t (a1 + t (a2 + ... + t a5)) e^(-x^2) with
/// t = 1 / (1 + p |x|), absolute error below 1.5e-7 (PyTorch's vectorized CPU erf uses the same
/// formula), and `FastExponential` for e^(-x^2). Odd in x; NaN stays NaN.
enum FastErf {
    private static let p: Float = 0.3275911
    private static let a1: Float = 0.254829592
    private static let a2: Float = -0.284496736
    private static let a3: Float = 1.421413741
    private static let a4: Float = -1.453152027
    private static let a5: Float = 1.061405429

    @inline(__always)
    static func of(_ x: Float) -> Float {
        let magnitude = Swift.abs(x)
        let t = 1 / (1 + p * magnitude)
        let polynomial = ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t
        let y = 1 - polynomial * FastExponential.ofNonPositive(-magnitude * magnitude)
        return x < 0 ? -y : y
    }
}
