public import GeoLensTensor
import Foundation

/// Runs an `ONNXModel` on GeoLensTensor operations.
///
/// Each set of input shapes gets its execution plan (`ONNXModel.plan(for:)`) prepared once:
/// BatchNormalizations after convolutions are folded into the convolution weights, zero Pads
/// before them become their padding, Conv + ReLU pairs run as one fused convolution, and
/// `Mul(x, Sigmoid(x))` runs as one SiLU, the five steps of an exact GELU before opset 20 as one
/// GELU, and a MatMul by a constant matrix followed by a bias Add as one product. Every operation records the tape when one of
/// its inputs requires a gradient, so gradients flow back to the graph input and to any
/// intermediate tensor made a leaf through `ForwardContext.captures` (keys are ONNX tensor names).
/// Intermediate tensors are released right after the last step that reads them. Passes that keep
/// no tape and capture nothing take their intermediate tensors from planned memory
/// (`PlannedMemory`, one plan per set of input shapes), not the heap.
public final class ONNXExecutor: @unchecked Sendable {
    public let model: ONNXModel
    /// When set, every step's wall time is added to it (off by default: a clock read per step).
    public var profile: ONNXStepProfile?
    private let lock = NSLock()
    private var prepared: [[String: [Int]]: ONNXPreparedPlan] = [:]
    /// Folded BatchNormalizations by convolution and batch-norm step, with the constants they
    /// came from: plans for other input shapes (a batch of 4, its slices of 2, a last image
    /// alone) reuse one folded weight, and the Winograd filters cached with it, instead of
    /// holding a copy each.
    private let folded = Locked<[String: (sources: [Tensor], weight: Tensor, bias: Tensor)]>([:])
    /// Activation memory of inference passes, planned per set of input shapes.
    public let memory = PlannedMemory()

    public init(model: ONNXModel) {
        self.model = model
    }

    /// `ONNXBatchNormFolding.fold`, reused while the fusion reads the same constant storage.
    func fold(_ fusion: ONNXFusion, in plan: ONNXExecutionPlan) -> (weight: Tensor, bias: Tensor)? {
        guard let conv = plan.steps.first(where: { $0.name == fusion.convolution }),
              let bn = plan.steps.first(where: { $0.name == fusion.follower }) else {
            return ONNXBatchNormFolding.fold(fusion, in: plan)
        }
        let sources = (conv.inputs.dropFirst() + bn.inputs.dropFirst()).compactMap { plan.constants[$0]?.floatTensor }
        let key = fusion.convolution + "\u{0}" + fusion.follower
        func same(_ a: [Tensor], _ b: [Tensor]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { x, y in
                x.count == y.count && x.withUnsafeBufferPointer { p in y.withUnsafeBufferPointer { q in p.baseAddress == q.baseAddress } }
            }
        }
        if let cached = folded.withLock({ $0[key] }), same(cached.sources, sources) { return (cached.weight, cached.bias) }
        guard let pair = ONNXBatchNormFolding.fold(fusion, in: plan) else { return nil }
        folded.withLock { $0[key] = (sources, pair.weight, pair.bias) }
        return pair
    }

    /// The prepared plan for these input shapes, made on first use and reused.
    func preparedPlan(for inputShapes: [String: [Int]]) throws -> ONNXPreparedPlan {
        lock.lock()
        if let cached = prepared[inputShapes] { lock.unlock(); return cached }
        lock.unlock()
        let plan = ONNXPreparedPlan(try model.plan(for: inputShapes), fold: fold)
        lock.lock()
        defer { lock.unlock() }
        prepared[inputShapes] = plan
        return plan
    }

    /// Number of prepared plans held (one per distinct set of input shapes).
    public var preparedPlanCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return prepared.count
    }

    /// Runs the graph on `inputs` (by graph input name) and returns the graph outputs in order.
    ///
    /// Tensors named in `context.captures` are stored in `context.captured`; a `.leaf` capture
    /// replaces the tensor by a new tape leaf and execution continues from it. A captured
    /// tensor that a fused convolution would hide makes that convolution run unfused.
    /// - Throws: `ONNXError` when the input shapes do not fit the graph or a step cannot run.
    public func run(_ inputs: [String: Tensor], context: ForwardContext? = nil) throws -> [Tensor] {
        let shapes = inputs.mapValues(\.shape)
        let prepared = try preparedPlan(for: shapes)
        let captures = context?.captures ?? [:]
        // A pass that records a tape keeps its activations past its end: nothing to plan.
        guard captures.isEmpty, !inputs.values.contains(where: \.requiresGradient) else {
            return try execute(prepared, inputs, context: context)
        }
        return try memory.run(key: AnyHashable(shapes)) { try execute(prepared, inputs, context: context) }
    }

    private func execute(_ prepared: ONNXPreparedPlan, _ inputs: [String: Tensor], context: ForwardContext?) throws -> [Tensor] {
        let plan = prepared.plan
        let captures = context?.captures ?? [:]
        var values: [String: Tensor] = [:]
        values.reserveCapacity(plan.steps.count)
        for (name, var tensor) in inputs {
            if captures[name] != nil { context?.recordIfCaptured(&tensor, path: name) }
            values[name] = tensor
        }
        let unfused: Set<String> = captures.isEmpty ? [] : Set(prepared.groups.compactMap { name, group in
            group.hiddenTensors.contains { captures[$0] != nil } ? name : nil
        })
        let keep = Set(plan.outputs)
        // Sigmoids absorbed into a SiLU (their Mul computes x * sigmoid(x) in one pass).
        let swishSigmoids = Set(prepared.swish.values.filter { captures[$0.outputs[0]] == nil }.map(\.name))
        // GELUs written as five steps run as one, unless a tensor inside them is captured.
        let fusedGELUs = prepared.gelus.filter { _, gelu in !gelu.hiddenTensors.contains { captures[$0] != nil } }
        let geluSkipped = Set(fusedGELUs.values.flatMap { $0.absorbedSteps.map(\.name) })
        // Linear layers (MatMul + bias Add) run as one product unless the product is captured.
        let fusedLinears = prepared.linears.filter { captures[$0.value.matMul.outputs[0]] == nil }
        let linearAdds = Set(fusedLinears.values.map(\.add.name))
        for (index, step) in plan.steps.enumerated() {
            if prepared.absorbed.contains(step.name), !isUnfusedFollower(step, prepared: prepared, unfused: unfused) { continue }
            if step.opType == "Sigmoid", swishSigmoids.contains(step.name) { continue }
            if geluSkipped.contains(step.name) || linearAdds.contains(step.name) { continue }
            let outputs: [(String, Tensor)]
            let started = profile == nil ? nil : DispatchTime.now()
            var label = step.opType
            if let linear = fusedLinears[step.name], let x = values[step.inputs[0]],
               let weight = plan.constants[linear.weight]?.floatTensor, let bias = plan.constants[linear.bias]?.floatTensor {
                outputs = [(linear.add.outputs[0], x.matmul(weight, addingRow: bias))]
                label = "MatMul+Add"
            } else if let gelu = fusedGELUs[step.name], let x = values[gelu.input] {
                outputs = [(step.outputs[0], x.gelu())]
                label = "Gelu (5 steps)"
            } else if let sigmoid = prepared.swish[step.name], captures[sigmoid.outputs[0]] == nil, let x = values[sigmoid.inputs[0]] {
                outputs = [(step.outputs[0], x.silu())]
                label = "SiLU (Sigmoid, Mul)"
            } else if let group = prepared.groups[step.name], !unfused.contains(step.name) {
                guard let x = values[group.inputTensor] ?? plan.constants[group.inputTensor].map(ONNXOperators.tensor) else {
                    throw ONNXError(.shapeInference, "step '\(step.name)' reads '\(group.inputTensor)', which no earlier step produced")
                }
                outputs = [(group.resultTensor, ONNXOperators.fusedConvolution(step, group, x))]
                label = ([step.opType] + group.absorbedSteps.map(\.opType)).joined(separator: "+")
            } else {
                let results = try ONNXOperators.run(step, inputs: step.inputs.indices.map { try optionalInput(step, $0, values, plan) })
                outputs = Array(zip(step.outputs, results))
            }
            if let started, let profile {
                profile.add(label, seconds: Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) * 1e-9)
            }
            for (name, result) in outputs where !name.isEmpty {
                var tensor = result
                if captures[name] != nil { context?.recordIfCaptured(&tensor, path: name) }
                values[name] = tensor
            }
            for name in step.inputs + [prepared.groups[step.name]?.inputTensor ?? ""]
            where !name.isEmpty && prepared.lastUse[name] == index && !keep.contains(name) {
                values[name] = nil
            }
            // A fused GELU's input was last read by a step it skipped.
            if let input = fusedGELUs[step.name]?.input, (prepared.lastUse[input] ?? index) <= index, !keep.contains(input) {
                values[input] = nil
            }
        }
        return try plan.outputs.map { name in
            guard let value = values[name] ?? plan.constants[name].map(ONNXOperators.tensor) else {
                throw ONNXError(.shapeInference, "graph output '\(name)' of '\(model.url.lastPathComponent)' was not computed")
            }
            return value
        }
    }

    /// Whether `step`, absorbed into a group, must run by itself because its group runs unfused.
    private func isUnfusedFollower(_ step: ONNXPlanStep, prepared: ONNXPreparedPlan, unfused: Set<String>) -> Bool {
        unfused.contains { prepared.groups[$0]?.absorbedSteps.contains { $0.name == step.name } ?? false }
    }

    /// The tensor for input `index` of `step` (nil when omitted): a computed value or a plan constant.
    private func optionalInput(_ step: ONNXPlanStep, _ index: Int, _ values: [String: Tensor],
                               _ plan: ONNXExecutionPlan) throws -> Tensor? {
        let name = step.inputs[index]
        if name.isEmpty { return nil }
        if let value = values[name] { return value }
        if let constant = plan.constants[name] { return ONNXOperators.tensor(constant) }
        throw ONNXError(.shapeInference, "step '\(step.name)' (\(step.opType)) reads '\(name)', which no earlier step produced; "
            + "the model graph is not in a runnable order or refers to a missing tensor")
    }
}
