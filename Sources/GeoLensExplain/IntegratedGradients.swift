import Foundation
public import GeoLensNN
public import GeoLensTensor

/// Integrated gradients with Gauss-Legendre quadrature on [0, 1] (captum's `gausslegendre`):
/// phi = (x - b) * sum_s w_s dy/dx(b + a_s (x - b)).
public enum IntegratedGradients {
    public static func explain(model: any SegmentationModel, input: Tensor, baseline: Tensor,
                               targets: [SegmentationTarget], steps: Int = 50, batchSize: Int = 8) -> [PixelAttribution] {
        precondition(input.shape == baseline.shape && input.shape[0] == 1,
                     "IntegratedGradients: input \(input.shape) and baseline \(baseline.shape) must both be [1, C, H, W]")
        let (nodes, weights) = GaussLegendre.unitInterval(steps)
        let x = input.scalars, b = baseline.scalars
        let points = nodes.map { a in
            Tensor(shape: input.shape) { out in for i in out.indices { out[i] = b[i] + Float(a) * (x[i] - b[i]) } }
        }
        var sums = [[Double]](repeating: [Double](repeating: 0, count: x.count), count: targets.count)
        let engine = InputGradients(model: model, batchSize: batchSize)
        engine.forEachGradient(points: points, targets: targets) { point, t, g in
            let w = weights[point]
            sums[t].withUnsafeMutableBufferPointer { s in for i in 0..<g.count { s[i] += w * Double(g[i]) } }
        }
        let full = engine.values(at: input, targets: targets)
        let base = engine.values(at: baseline, targets: targets)
        return targets.indices.map { t in
            PixelAttribution(classIndex: targets[t].classIndex,
                             values: (0..<x.count).map { Float(Double(x[$0] - b[$0]) * sums[t][$0]) },
                             channels: input.shape[1], height: input.shape[2], width: input.shape[3],
                             baseValue: base[t], fullValue: full[t], standardError: nil)
        }
    }
}

/// Gauss-Legendre nodes and weights (Newton iteration on the Legendre polynomial, in Double).
public enum GaussLegendre {
    /// Nodes and weights on [-1, 1], nodes in increasing order (numpy's `leggauss`).
    public static func standard(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        precondition(n >= 1, "GaussLegendre: \(n) nodes")
        var nodes = [Double](repeating: 0, count: n), weights = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var z = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = z
                if n == 1 { p1 = z; p0 = 1 } else {
                    for k in 2...n { let p2 = ((2 * Double(k) - 1) * z * p1 - (Double(k) - 1) * p0) / Double(k); p0 = p1; p1 = p2 }
                }
                let pn = n == 1 ? z : p1, pn1 = n == 1 ? 1.0 : p0
                derivative = Double(n) * (z * pn - pn1) / (z * z - 1)
                let dz = pn / derivative
                z -= dz
                if abs(dz) < 1e-15 { break }
            }
            nodes[n - 1 - i] = z
            weights[n - 1 - i] = 2 / ((1 - z * z) * derivative * derivative)
        }
        return (nodes, weights)
    }

    /// Nodes a_s = (1 + z_s) / 2 and weights w_s / 2 on [0, 1].
    public static func unitInterval(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        let (z, w) = standard(n)
        return (z.map { 0.5 * (1 + $0) }, w.map { 0.5 * $0 })
    }
}
