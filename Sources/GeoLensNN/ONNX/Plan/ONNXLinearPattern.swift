/// A linear layer as exporters write it: `MatMul(x, W)` with a constant matrix `W` [k, n], whose
/// result only an `Add` of a constant bias of n values reads. The executor runs the pair as one
/// product that starts from the bias (`Tensor.matmul(_:addingRow:)`) unless the MatMul's output
/// is captured.
struct ONNXLinearPattern: Sendable {
    let matMul: ONNXPlanStep
    let add: ONNXPlanStep
    /// The constant names of the weight and the bias.
    let weight: String
    let bias: String

    /// Every linear layer of `plan`, by the MatMul step's name.
    static func find(in plan: ONNXExecutionPlan) -> [String: ONNXLinearPattern] {
        var readers: [String: [ONNXPlanStep]] = [:]
        for step in plan.steps { for name in Set(step.inputs) where !name.isEmpty { readers[name, default: []].append(step) } }
        let outputs = Set(plan.outputs)
        var patterns: [String: ONNXLinearPattern] = [:]
        for step in plan.steps where step.opType == "MatMul" && step.inputs.count == 2 {
            let product = step.outputs[0]
            guard let weight = plan.constants[step.inputs[1]], weight.shape.count == 2, weight.floatTensor != nil,
                  !plan.constants.keys.contains(step.inputs[0]), (plan.tensorShapes[step.inputs[0]]?.count ?? 0) >= 2,
                  !outputs.contains(product), let next = readers[product], next.count == 1, next[0].opType == "Add",
                  next[0].inputs.count == 2 else { continue }
            let add = next[0]
            let biasName = add.inputs[0] == product ? add.inputs[1] : add.inputs[0]
            guard let bias = plan.constants[biasName], bias.floatTensor != nil, bias.count == weight.shape[1],
                  bias.shape.last == weight.shape[1], add.outputShapes.first == step.outputShapes.first else { continue }
            patterns[step.name] = ONNXLinearPattern(matMul: step, add: add, weight: step.inputs[1], bias: biasName)
        }
        return patterns
    }
}
