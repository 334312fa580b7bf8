/// The five steps exporters write for an exact GELU before opset 20 (`torch.onnx` with
/// `nn.GELU()`): `Div(x, sqrt 2)`, `Erf`, `Add(., 1)`, `Mul(x, .)`, `Mul(., 0.5)`. The executor runs
/// them as one `gelu` (one pass over the tensor instead of five) unless a tensor inside is captured.
struct ONNXGELUPattern: Sendable {
    /// The GELU's input.
    let input: String
    /// The first four steps, which the last one replaces.
    let absorbedSteps: [ONNXPlanStep]
    /// The final `Mul(., 0.5)`.
    let last: ONNXPlanStep

    /// The intermediate tensors the fused step never makes.
    var hiddenTensors: [String] { absorbedSteps.map { $0.outputs[0] } }

    /// Every GELU of `plan`, by the name of its final step.
    static func find(in plan: ONNXExecutionPlan) -> [String: ONNXGELUPattern] {
        var readers: [String: [ONNXPlanStep]] = [:]
        for step in plan.steps { for name in Set(step.inputs) where !name.isEmpty { readers[name, default: []].append(step) } }
        let outputs = Set(plan.outputs)
        func scalar(_ name: String) -> Float? {
            guard let constant = plan.constants[name], constant.count == 1 else { return nil }
            return constant.floats.first
        }
        /// The one step reading `tensor`, when it is an `op` whose other input is a scalar near `value`
        /// (or, with `other`, exactly that tensor).
        func soleReader(of tensor: String, _ op: String, value: Float? = nil, other: String? = nil) -> ONNXPlanStep? {
            guard !outputs.contains(tensor), let next = readers[tensor], next.count == 1, next[0].opType == op,
                  next[0].inputs.count == 2 else { return nil }
            let step = next[0]
            let rest = step.inputs[0] == tensor ? step.inputs[1] : step.inputs[0]
            if let other { return rest == other ? step : nil }
            guard let value, let found = scalar(rest), abs(found - value) <= 1e-6 * max(1, abs(value)) else { return nil }
            return step
        }
        var patterns: [String: ONNXGELUPattern] = [:]
        for div in plan.steps where div.opType == "Div" && div.inputs.count == 2 {
            guard let divisor = scalar(div.inputs[1]), abs(divisor - 1.4142135) < 1e-5 else { continue }
            let x = div.inputs[0]
            guard !outputs.contains(div.outputs[0]), let next = readers[div.outputs[0]], next.count == 1, next[0].opType == "Erf",
                  let add = soleReader(of: next[0].outputs[0], "Add", value: 1),
                  let mul = soleReader(of: add.outputs[0], "Mul", other: x),
                  let half = soleReader(of: mul.outputs[0], "Mul", value: 0.5) else { continue }
            patterns[half.name] = ONNXGELUPattern(input: x, absorbedSteps: [div, next[0], add, mul], last: half)
        }
        return patterns
    }
}
