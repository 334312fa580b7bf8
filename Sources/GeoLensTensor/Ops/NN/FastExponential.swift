/// exp(x) for x <= 0, written without calls or data-dependent branches so loops over it vectorize.
///
/// Softmax (x - max) and the logistic function (-|x|) only ever need exponentials of non-positive
/// numbers, and they run over every pixel of every tile, where a libm call per element dominates.
/// This is the Cephes single-precision scheme: x = n ln2 + r with |r| <= ln2 / 2, a degree-6
/// polynomial for e^r, and 2^n built from the exponent bits. The relative error is within about
/// 2 ulp of `expf`. Results below the smallest normal Float (x < -87.33) are flushed to 0; NaN stays NaN.
enum FastExponential {
    private static let log2e: Float = 1.44269504088896341
    private static let ln2High: Float = 0.693359375
    private static let ln2Low: Float = -2.12194440e-4
    /// ln(FLT_MIN): below it the result would be subnormal.
    private static let lowest: Float = -87.336544
    private static let roundingBias: Float = 12_582_912

    @inline(__always)
    static func ofNonPositive(_ x: Float) -> Float {
        // NaN fails both comparisons and is clamped to `lowest`; the final select restores it.
        let clamped = x > lowest ? (x < 0 ? x : 0) : lowest
        // Round to the nearest integer by adding 1.5 * 2^23: the integer lands in the low mantissa bits.
        // (`rounded()` would be a libm call on baseline x86-64, which has no SSE4.1 round instruction.)
        let shifted = clamped * log2e + roundingBias
        let n = shifted - roundingBias
        let exponent = Int32(bitPattern: shifted.bitPattern) &- Int32(bitPattern: roundingBias.bitPattern)
        let r = clamped - n * ln2High - n * ln2Low
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let polynomial = p * r * r + r + 1
        let scale = Float(bitPattern: UInt32(bitPattern: (exponent &+ 127) << 23))
        let value = polynomial * scale
        return x.isNaN ? x : (x < lowest ? 0 : value)
    }
}
