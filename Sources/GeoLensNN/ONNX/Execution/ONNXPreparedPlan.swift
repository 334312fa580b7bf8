import GeoLensTensor

/// A convolution with the steps merged into it: a zero Pad before it added to its own padding
/// (TensorFlow-style "same" padding exports), a BatchNormalization folded into its weights and an
/// activation applied in its store pass (ReLU, Sigmoid, or the `Sigmoid` + `Mul` pair exporters
/// write for SiLU/swish).
struct ONNXConvolutionGroup: Sendable {
    /// The zero Pad step whose padding the convolution takes over, if any.
    let padding: ONNXPlanStep?
    /// The tensor the fused group reads (the Pad's input when there is a Pad).
    let inputTensor: String
    /// The BatchNormalization step folded into the weights, if any.
    let batchNormalization: ONNXPlanStep?
    /// The weight and bias to use when the group runs fused (folded when there is a BatchNormalization).
    let weight: Tensor
    let bias: Tensor?
    /// The activation applied in the convolution's epilogue, if any, and the steps that compute it
    /// in the graph (`Relu`/`Clip(0, inf)`, `Sigmoid`, or `Sigmoid` then `Mul` for SiLU).
    let activation: ConvolutionActivation?
    let activationSteps: [ONNXPlanStep]

    /// The steps the convolution absorbs, in order.
    var absorbedSteps: [ONNXPlanStep] { [padding, batchNormalization].compactMap { $0 } + activationSteps }

    /// The Pad's spatial padding as `[top, left, bottom, right]`, zeros without a Pad.
    var extraPadding: [Int] {
        guard let pads = padding?.attributes.ints["pads"], pads.count == 8 else { return [0, 0, 0, 0] }
        return [pads[2], pads[3], pads[6], pads[7]]
    }
    /// Tensors the fused group never materialises (the convolution's and the BatchNormalization's
    /// outputs when something follows them); capturing one of them turns the fusion off.
    let hiddenTensors: [String]
    /// The tensor the whole group produces.
    let resultTensor: String
}

/// An execution plan made ready to run: convolution groups with folded weights, the steps they
/// absorb, and for every tensor the index of the last step reading it (so intermediate tensors
/// can be released as soon as possible).
struct ONNXPreparedPlan: Sendable {
    let plan: ONNXExecutionPlan
    /// Fusion groups by convolution step name.
    let groups: [String: ONNXConvolutionGroup]
    /// Names of steps absorbed into a group (skipped when the group runs fused).
    let absorbed: Set<String>
    /// For each tensor read by a step, the index of the last step that reads it.
    let lastUse: [String: Int]
    /// `Mul(x, Sigmoid(x))` steps (SiLU, as exporters write it) by Mul step name: the Sigmoid step
    /// they absorb. Run as one `silu` unless the Sigmoid's output is captured.
    let swish: [String: ONNXPlanStep]
    /// Exact GELUs written as five steps (`ONNXGELUPattern`), by the name of their last step.
    let gelus: [String: ONNXGELUPattern]
    /// Names of the steps those GELUs absorb.
    let geluAbsorbed: Set<String>
    /// `MatMul` + bias `Add` pairs (`ONNXLinearPattern`), by MatMul step name.
    let linears: [String: ONNXLinearPattern]

    /// - Parameter fold: folds a `.batchNormalization` fusion (`ONNXBatchNormFolding.fold`, or
    ///   the executor's cache of it, so that plans for other input shapes share the folded weights).
    init(_ plan: ONNXExecutionPlan,
         fold: (ONNXFusion, ONNXExecutionPlan) -> (weight: Tensor, bias: Tensor)? = ONNXBatchNormFolding.fold) {
        self.plan = plan
        gelus = ONNXGELUPattern.find(in: plan)
        geluAbsorbed = Set(gelus.values.flatMap { $0.absorbedSteps.map(\.name) })
        linears = ONNXLinearPattern.find(in: plan)
        let byName = Dictionary(plan.steps.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var bnFor: [String: ONNXPlanStep] = [:], folded: [String: (weight: Tensor, bias: Tensor)] = [:]
        var activationFor: [String: (ConvolutionActivation, ONNXPlanStep)] = [:]
        for fusion in plan.fusions {
            switch fusion.kind {
            case .batchNormalization:
                if let pair = fold(fusion, plan), let bn = byName[fusion.follower] {
                    bnFor[fusion.convolution] = bn
                    folded[fusion.convolution] = pair
                }
            case .activation(let activation):
                guard let step = byName[fusion.follower] else { continue }
                switch activation {
                case .relu: activationFor[fusion.convolution] = (.relu, step)
                case .sigmoid: activationFor[fusion.convolution] = (.sigmoid, step)
                default: continue
                }
            }
        }
        var readers: [String: Int] = [:]
        for step in plan.steps { for name in step.inputs where !name.isEmpty { readers[name, default: 0] += 1 } }
        for name in plan.outputs { readers[name, default: 0] += 1 }
        let producers = Dictionary(plan.steps.flatMap { step in step.outputs.map { ($0, step) } }, uniquingKeysWith: { first, _ in first })
        // `Mul(x, Sigmoid(x))` steps (SiLU as exporters write it), by Mul step name, and by `x`.
        var swish: [String: ONNXPlanStep] = [:]
        var swishOf: [String: (sigmoid: ONNXPlanStep, mul: ONNXPlanStep)] = [:]
        for step in plan.steps where step.opType == "Mul" && step.inputs.count == 2 {
            for (x, s) in [(step.inputs[0], step.inputs[1]), (step.inputs[1], step.inputs[0])] {
                if let sigmoid = producers[s], sigmoid.opType == "Sigmoid", sigmoid.inputs.first == x, readers[s] == 1 {
                    swish[step.name] = sigmoid
                    swishOf[x] = (sigmoid, step)
                    break
                }
            }
        }
        var groups: [String: ONNXConvolutionGroup] = [:]
        var absorbed: Set<String> = []
        for step in plan.steps where step.opType == "Conv" && step.inputs.count >= 2 {
            let pad = producers[step.inputs[0]].flatMap { Self.isZeroSpatialPad($0) && readers[step.inputs[0]] == 1 ? $0 : nil }
            guard let weight = folded[step.name]?.weight ?? plan.constants[step.inputs[1]]?.floatTensor else { continue }
            let bn = bnFor[step.name]
            let convolved = bn?.outputs[0] ?? step.outputs[0]
            // An activation after an unfolded BatchNormalization cannot go into the epilogue.
            var activation: ConvolutionActivation?
            var activationSteps: [ONNXPlanStep] = []
            if let (kind, follower) = activationFor[step.name], follower.inputs.first == convolved {
                (activation, activationSteps) = (kind, [follower])
            } else if let pair = swishOf[convolved], readers[convolved] == 2 {
                // Nothing but the Sigmoid and the Mul reads the convolution: both go into the epilogue.
                (activation, activationSteps) = (.silu, [pair.sigmoid, pair.mul])
            }
            guard bn != nil || activation != nil || pad != nil else { continue }
            let originalBias = step.inputs.count > 2 && !step.inputs[2].isEmpty ? plan.constants[step.inputs[2]]?.floatTensor : nil
            if step.inputs.count > 2 && !step.inputs[2].isEmpty && originalBias == nil && bn == nil { continue }
            let chain = [step] + [bn].compactMap { $0 } + activationSteps
            groups[step.name] = ONNXConvolutionGroup(
                padding: pad, inputTensor: pad?.inputs[0] ?? step.inputs[0], batchNormalization: bn, weight: weight,
                bias: folded[step.name]?.bias ?? originalBias, activation: activation, activationSteps: activationSteps,
                hiddenTensors: (pad.map { [$0.outputs[0]] } ?? []) + chain.dropLast().map { $0.outputs[0] },
                resultTensor: chain.last!.outputs[0])
            for member in chain.dropFirst() { absorbed.insert(member.name) }
            if let pad { absorbed.insert(pad.name) }
        }
        self.groups = groups
        self.absorbed = absorbed
        var lastUse: [String: Int] = [:]
        for (index, step) in plan.steps.enumerated() {
            for name in step.inputs where !name.isEmpty { lastUse[name] = index }
        }
        self.swish = swish
        // A fused convolution reads its Pad's input, later than the Pad would.
        let index = Dictionary(plan.steps.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (name, group) in groups where group.padding != nil {
            if let at = index[name] { lastUse[group.inputTensor] = max(lastUse[group.inputTensor] ?? at, at) }
        }
        self.lastUse = lastUse
    }

    /// A constant-zero Pad of the two spatial axes of a 4-D tensor, by non-negative amounts.
    static func isZeroSpatialPad(_ step: ONNXPlanStep) -> Bool {
        guard step.opType == "Pad", (step.attributes.strings["mode"] ?? "constant") == "constant",
              (step.attributes.float("value") ?? 0) == 0, let pads = step.attributes.ints["pads"], pads.count == 8 else { return false }
        return pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0 && pads.allSatisfy { $0 >= 0 }
    }
}
