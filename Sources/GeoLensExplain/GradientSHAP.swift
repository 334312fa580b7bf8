import Foundation
public import GeoLensNN
public import GeoLensTensor

/// GradientSHAP (expected gradients): phi = mean_n (x_n - b_n) * dy/dx at b_n + a_n (x_n - b_n),
/// a_n ~ U(0, 1), b_n drawn from the baselines, x_n = x + N(0, sigma^2). Seeded.
public enum GradientSHAP {
    public static func explain(model: any SegmentationModel, input: Tensor, baselines: [Tensor],
                               targets: [SegmentationTarget], samples: Int = 32, noise sigma: Float = 0,
                               seed: UInt64 = 0, batchSize: Int = 8) -> [PixelAttribution] {
        precondition(!baselines.isEmpty && baselines.allSatisfy { $0.shape == input.shape },
                     "GradientSHAP: baselines must share the input shape \(input.shape)")
        var generator = SeededGenerator(seed: seed)
        let x = input.scalars
        var differences: [[Float]] = []
        var points: [Tensor] = []
        for _ in 0..<max(samples, 1) {
            let b = baselines[Int(generator.next() % UInt64(baselines.count))].scalars
            let a = Float(Double(generator.next() >> 11) / Double(1 << 53))
            var noisy = x
            if sigma > 0 { for i in noisy.indices { noisy[i] += sigma * gaussian(&generator) } }
            let difference = (0..<x.count).map { noisy[$0] - b[$0] }
            differences.append(difference)
            points.append(Tensor(shape: input.shape) { out in for i in out.indices { out[i] = b[i] + a * difference[i] } })
        }
        let n = differences.count
        var sums = [[Double]](repeating: [Double](repeating: 0, count: x.count), count: targets.count)
        var perSampleTotals = [[Double]](repeating: [Double](repeating: 0, count: n), count: targets.count)
        let engine = InputGradients(model: model, batchSize: batchSize)
        engine.forEachGradient(points: points, targets: targets) { point, t, g in
            let d = differences[point]
            var total = 0.0
            sums[t].withUnsafeMutableBufferPointer { s in
                for i in 0..<g.count { let v = Double(d[i] * g[i]); s[i] += v; total += v }
            }
            perSampleTotals[t][point] = total
        }
        let full = engine.values(at: input, targets: targets)
        let meanBaseline = Tensor(shape: input.shape) { out in
            out.initialize(repeating: 0)
            for b in baselines { b.withUnsafeBufferPointer { p in for i in out.indices { out[i] += p[i] / Float(baselines.count) } } }
        }
        let base = engine.values(at: meanBaseline, targets: targets)
        return targets.indices.map { t in
            let totals = perSampleTotals[t]
            let mean = totals.reduce(0, +) / Double(n)
            let variance = totals.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(n - 1, 1))
            return PixelAttribution(classIndex: targets[t].classIndex, values: sums[t].map { Float($0 / Double(n)) },
                                    channels: input.shape[1], height: input.shape[2], width: input.shape[3],
                                    baseValue: base[t], fullValue: full[t], standardError: (variance / Double(n)).squareRoot())
        }
    }

    /// A standard normal draw (Box-Muller).
    static func gaussian(_ generator: inout SeededGenerator) -> Float {
        let u1 = max(Double(generator.next() >> 11) / Double(1 << 53), 1e-300)
        let u2 = Double(generator.next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
