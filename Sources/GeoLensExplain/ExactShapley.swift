public import GeoLensNN
public import GeoLensTensor

/// Exact Shapley values over M <= 12 features from all 2^M coalitions, evaluated in batches:
/// phi_i = sum_{S not containing i} |S|! (M-|S|-1)! / M! (v(S+i) - v(S)). Every target's values
/// come from the same coalitions; models with an input convolution run each coalition from the
/// sum of per-feature convolution terms (`CoalitionEvaluator`).
public enum ExactShapley {
    public static let maximumFeatures = 12

    public static func explain(model: any SegmentationModel, input: Tensor, baseline: Tensor,
                               features: [AttributionFeature], targets: [SegmentationTarget],
                               batchSize: Int = 8, splitInputConvolution: Bool = true) throws(ExplainError) -> [ShapleyResult] {
        let m = features.count
        guard (1...maximumFeatures).contains(m) else {
            throw ExplainError("shap-exact evaluates 2^M coalitions and takes 1 to \(maximumFeatures) feature groups, got \(m); use kernel-shap or fewer groups")
        }
        var evaluator = CoalitionEvaluator(model: model, input: input, baseline: baseline, features: features,
                                           targets: targets, batchSize: batchSize, splitInputConvolution: splitInputConvolution)
        let coalitions = (0..<(1 << m)).map { bits in (0..<m).map { bits & (1 << $0) != 0 } }
        let v = evaluator.values(coalitions)
        return targets.indices.map { t in
            let values = shapley(m: m) { v[$0][t] }
            return ShapleyResult(classIndex: targets[t].classIndex, featureNames: features.map(\.name), values: values,
                                 standardErrors: nil, baseValue: v[0][t], fullValue: v[(1 << m) - 1][t],
                                 evaluations: evaluator.evaluations)
        }
    }

    /// Shapley values of a set function given on bit masks (bit i set: feature i present).
    public static func shapley(m: Int, value: (Int) -> Double) -> [Double] {
        var factorial = [Double](repeating: 1, count: m + 1)
        for i in stride(from: 1, through: m, by: 1) { factorial[i] = factorial[i - 1] * Double(i) }
        let weight = (0..<m).map { s in factorial[s] * factorial[m - s - 1] / factorial[m] }
        var phi = [Double](repeating: 0, count: m)
        for subset in 0..<(1 << m) {
            let size = subset.nonzeroBitCount
            let vS = value(subset)
            for i in 0..<m where subset & (1 << i) == 0 {
                phi[i] += weight[size] * (value(subset | (1 << i)) - vS)
            }
        }
        return phi
    }
}
