import GeoLensTensor
import Testing

/// Compares the tape's gradients with central finite differences.
///
/// The scalar checked is L = sum(f(x) * r) for a fixed random `r`, accumulated in Double,
/// so every element of the output contributes. `eps` is the step; the check passes when
/// max |analytic - numeric| <= tolerance * max(1, max |numeric|) for every input.
func checkGradients(
    _ inputs: [Tensor], eps: Float = 1e-2, tolerance: Float = 1e-2, seed: UInt64 = 7,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ f: ([Tensor]) -> Tensor
) {
    let watched = inputs.map { $0.requiringGradient() }
    let y = f(watched)
    var rng = SeededGenerator(seed: seed)
    let r = Tensor.randomNormal(shape: y.shape, using: &rng)
    let analytic = gradients(of: y, seed: r, wrt: watched)

    func loss(_ xs: [Tensor]) -> Double {
        let out = GradientMode.withoutRecording { f(xs) }
        let a = out.scalars, b = r.scalars
        var acc = 0.0
        for i in a.indices { acc += Double(a[i]) * Double(b[i]) }
        return acc
    }
    for (index, x) in inputs.enumerated() {
        var numeric = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count {
            var plus = inputs, minus = inputs
            plus[index].withUnsafeMutableBufferPointer { $0[i] += eps }
            minus[index].withUnsafeMutableBufferPointer { $0[i] -= eps }
            numeric[i] = Float((loss(plus) - loss(minus)) / Double(2 * eps))
        }
        let a = analytic[index].scalars
        #expect(a.count == numeric.count, sourceLocation: sourceLocation)
        let scale = max(1, numeric.map { abs($0) }.max() ?? 0)
        var worst: Float = 0, worstIndex = 0
        for i in numeric.indices where abs(a[i] - numeric[i]) > worst {
            worst = abs(a[i] - numeric[i]); worstIndex = i
        }
        #expect(worst <= tolerance * scale,
                "input \(index): gradient differs from finite differences by \(worst) at element \(worstIndex) (analytic \(a[worstIndex]), numeric \(numeric[worstIndex]))",
                sourceLocation: sourceLocation)
    }
}

/// A seeded random tensor; with `awayFromZero`, magnitudes are at least that value (keeps kinks of relu/abs/clip
/// and ties of max away from the finite-difference step).
func randomTensor(_ shape: [Int], seed: UInt64, awayFromZero margin: Float = 0) -> Tensor {
    var rng = SeededGenerator(seed: seed)
    let t = Tensor.randomNormal(shape: shape, using: &rng)
    guard margin > 0 else { return t }
    return t.mapScalars { $0 >= 0 ? $0 + margin : $0 - margin }
}
