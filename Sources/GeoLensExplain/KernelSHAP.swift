public import GeoLensNN
public import GeoLensTensor

/// KernelSHAP: coalitions sampled from the Shapley kernel with paired (complement) sampling,
/// least squares with phi_0 = v(0) and sum phi = v(1) - v(0) imposed exactly (the last feature
/// eliminated), standard errors from the regression residuals; stops early once every
/// standard error is under `tolerance`.
public enum KernelSHAP {
    public struct Options: Sendable {
        public var samples: Int = 2048
        public var seed: UInt64 = 0
        /// Stop when the largest standard error falls under this (absolute, in units of y); 0 never stops early.
        public var tolerance: Double = 0
        /// Coalitions drawn between convergence checks (rounded up to pairs).
        public var checkEvery: Int = 128
        public var batchSize: Int = 8
        public init() {}
    }

    public static func explain(model: any SegmentationModel, input: Tensor, baseline: Tensor,
                               features: [AttributionFeature], targets: [SegmentationTarget],
                               options: Options = Options()) throws(ExplainError) -> [ShapleyResult] {
        let m = features.count
        guard m >= 2 else { throw ExplainError("kernel-shap needs at least 2 feature groups, got \(m)") }
        var evaluator = CoalitionEvaluator(model: model, input: input, baseline: baseline, features: features,
                                           targets: targets, batchSize: options.batchSize)
        let ends = evaluator.values([[Bool](repeating: false, count: m), [Bool](repeating: true, count: m)])
        var generator = SeededGenerator(seed: options.seed)
        // Probability of each coalition size: the kernel mass of all coalitions of that size.
        let sizeMass = (1..<m).map { s in Double(m - 1) / Double(s * (m - s)) }
        let totalMass = sizeMass.reduce(0, +)
        var rows: [[Bool]] = []
        var values: [[Double]] = []
        var results: [ShapleyResult] = []
        while rows.count < max(options.samples, 2) {
            var drawn: [[Bool]] = []
            while drawn.count < options.checkEvery && rows.count + drawn.count < max(options.samples, 2) {
                var u = Double(generator.next() >> 11) / Double(1 << 53) * totalMass
                var size = 1
                for (i, mass) in sizeMass.enumerated() { if u < mass { size = i + 1; break }; u -= mass; size = i + 1 }
                var order = Array(0..<m)
                for i in stride(from: m - 1, to: 0, by: -1) { order.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
                var z = [Bool](repeating: false, count: m)
                for i in order.prefix(size) { z[i] = true }
                drawn.append(z)
                drawn.append(z.map { !$0 })
            }
            rows += drawn
            values += evaluator.values(drawn)
            results = targets.indices.map { t in
                solve(rows: rows, values: values.map { $0[t] }, v0: ends[0][t], v1: ends[1][t], m: m,
                      classIndex: targets[t].classIndex, names: features.map(\.name), evaluations: evaluator.evaluations)
            }
            if options.tolerance > 0, results.allSatisfy({ ($0.standardErrors ?? []).allSatisfy { $0 < options.tolerance } }) { break }
        }
        return results
    }

    /// Constrained least squares with phi_M eliminated: (v(z) - v0 - z_M d) = sum_{i<M} (z_i - z_M) phi_i.
    static func solve(rows: [[Bool]], values: [Double], v0: Double, v1: Double, m: Int,
                      classIndex: Int, names: [String], evaluations: Int) -> ShapleyResult {
        let d = v1 - v0, k = m - 1
        var xtx = [Double](repeating: 0, count: k * k), xty = [Double](repeating: 0, count: k)
        var designs: [[Double]] = [], responses: [Double] = []
        for (z, v) in zip(rows, values) {
            let last = z[m - 1] ? 1.0 : 0.0
            let row = (0..<k).map { (z[$0] ? 1.0 : 0.0) - last }
            let y = v - v0 - last * d
            for i in 0..<k {
                xty[i] += row[i] * y
                for j in 0..<k { xtx[i * k + j] += row[i] * row[j] }
            }
            designs.append(row)
            responses.append(y)
        }
        let inverse = LinearAlgebra.inverse(xtx, k)
        var phi = (0..<k).map { i in (0..<k).reduce(0.0) { $0 + inverse[i * k + $1] * xty[$1] } }
        phi.append(d - phi.reduce(0, +))
        var rss = 0.0
        for (row, y) in zip(designs, responses) {
            let fit = (0..<k).reduce(0.0) { $0 + row[$1] * phi[$1] }
            rss += (y - fit) * (y - fit)
        }
        let sigma2 = rss / Double(max(rows.count - k, 1))
        var errors = (0..<k).map { (sigma2 * max(inverse[$0 * k + $0], 0)).squareRoot() }
        // phi_M = d - sum phi_i: its variance is 1' Cov 1.
        errors.append((sigma2 * max(inverse.reduce(0, +), 0)).squareRoot())
        return ShapleyResult(classIndex: classIndex, featureNames: names, values: phi, standardErrors: errors,
                             baseValue: v0, fullValue: v1, evaluations: evaluations)
    }
}

/// Small dense linear algebra in Double.
enum LinearAlgebra {
    /// Inverse of an n x n matrix by Gauss-Jordan with partial pivoting (a tiny ridge keeps singular systems finite).
    static func inverse(_ matrix: [Double], _ n: Int) -> [Double] {
        var a = matrix
        let trace = (0..<n).reduce(0.0) { $0 + abs(a[$1 * n + $1]) }
        for i in 0..<n { a[i * n + i] += 1e-12 * max(trace, 1) }
        var inv = [Double](repeating: 0, count: n * n)
        for i in 0..<n { inv[i * n + i] = 1 }
        for col in 0..<n {
            var pivot = col
            for r in col..<n where abs(a[r * n + col]) > abs(a[pivot * n + col]) { pivot = r }
            if pivot != col {
                for j in 0..<n { a.swapAt(col * n + j, pivot * n + j); inv.swapAt(col * n + j, pivot * n + j) }
            }
            let p = a[col * n + col]
            for j in 0..<n { a[col * n + j] /= p; inv[col * n + j] /= p }
            for r in 0..<n where r != col {
                let f = a[r * n + col]
                guard f != 0 else { continue }
                for j in 0..<n { a[r * n + j] -= f * a[col * n + j]; inv[r * n + j] -= f * inv[col * n + j] }
            }
        }
        return inv
    }
}
