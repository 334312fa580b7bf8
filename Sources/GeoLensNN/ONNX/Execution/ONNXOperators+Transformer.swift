import GeoLensTensor

/// The operators transformer exports add to convolutional ones: layer normalization, GELU,
/// Einsum, reductions other than the mean, running sums, tiling, triangular masks and
/// index-tensor selection.
extension ONNXOperators {
    /// Operator types run by `transformer(_:inputs:)`.
    static let transformerOperators: Set<String> = [
        "LayerNormalization", "Gelu", "Einsum", "ReduceSum", "ReduceMax", "ReduceMin", "CumSum", "Tile", "Trilu",
        "GatherElements", "ScatterND",
    ]

    static func transformer(_ step: ONNXPlanStep, inputs: [Tensor?]) throws -> [Tensor] {
        let a = step.attributes
        let outShape = step.outputShapes.first ?? []
        func x(_ i: Int) throws -> Tensor {
            guard i < inputs.count, let t = inputs[i] else {
                throw ONNXError(.invalidAttribute, "step '\(step.name)' (\(step.opType)) needs input \(i), which the graph omits")
            }
            return t
        }
        func optional(_ i: Int) -> Tensor? { i < inputs.count ? inputs[i] : nil }
        switch step.opType {
        case "LayerNormalization":
            return try layerNormalization(step, try x(0), scale: optional(1), bias: optional(2))
        case "Gelu":
            return [try x(0).gelu(approximateTanh: a.strings["approximate"] == "tanh")]
        case "Einsum":
            let operands = try inputs.indices.map(x)
            return [try ONNXEinsum(a.strings["equation"] ?? "", shapes: operands.map(\.shape), node: step.name).apply(operands)]
        case "ReduceSum", "ReduceMax", "ReduceMin":
            return [reduce(step.opType, try x(0), axes: a.ints["axes"] ?? []).reshaped(outShape)]
        case "CumSum":
            return [try x(0).cumulativeSum(alongAxis: a.int("axis") ?? 0, exclusive: a.int("exclusive") == 1, reverse: a.int("reverse") == 1)]
        case "Tile":
            return [try x(0).tiled(a.ints["repeats"] ?? [])]
        case "Trilu":
            return [try x(0).triangular(upper: (a.int("upper") ?? 1) != 0, diagonal: a.int("k") ?? 0)]
        case "GatherElements":
            return [try x(0).gatherElements(indices: try x(1).detached(), alongAxis: a.int("axis") ?? 0)]
        default: // ScatterND
            let reduction = a.strings["reduction"] ?? "none"
            guard reduction == "none" || reduction == "add" else {
                throw ONNXError(.unsupportedOperators, "ScatterND step '\(step.name)' uses reduction '\(reduction)'; GeoLens runs none and add")
            }
            return [try x(0).scatterND(indices: try x(1).detached(), updates: try x(2), accumulate: reduction == "add")]
        }
    }

    /// Normalization over the axes from `axis` on, with `Scale` and `B` broadcast to those axes;
    /// the optional Mean and InvStdDev outputs when the graph reads them.
    static func layerNormalization(_ step: ONNXPlanStep, _ input: Tensor, scale: Tensor?, bias: Tensor?) throws -> [Tensor] {
        let a = step.attributes
        let axis = a.int("axis") ?? (input.rank - 1), epsilon = a.float("epsilon") ?? 1e-5
        let normalized = Array(input.shape[axis...])
        func fitted(_ t: Tensor?) -> Tensor? {
            guard let t else { return nil }
            return t.shape == normalized ? t : t.broadcast(to: normalized)
        }
        let y = input.layerNorm(normalizedShape: normalized, weight: fitted(scale), bias: fitted(bias), epsilon: epsilon)
        guard step.outputs.count > 1 else { return [y] }
        let axes = Array(axis..<input.rank)
        let mean = input.mean(alongAxes: axes, keepingDimensions: true)
        let variance = (input - mean).squared().mean(alongAxes: axes, keepingDimensions: true)
        return [y, mean, (variance + epsilon).pow(-0.5)]
    }

    /// Sum, maximum or minimum over `axes` (kept as size 1; the caller reshapes).
    static func reduce(_ op: String, _ x: Tensor, axes: [Int]) -> Tensor {
        switch op {
        case "ReduceSum": return axes.isEmpty ? x : x.sum(alongAxes: axes, keepingDimensions: true)
        case "ReduceMax": return axes.reduce(x) { $0.max(alongAxis: $1, keepingDimension: true) }
        default: return -axes.reduce(-x) { $0.max(alongAxis: $1, keepingDimension: true) }
        }
    }
}
