/// The tensors of a graph that hold tokens: features along their last axis, one row per token
/// (ViT and SegFormer `[N, tokens, C]`, timm Swin `[N, h, w, C]`).
///
/// Found by following the graph: LayerNormalization over the last axis and linear layers (MatMul
/// or Gemm by a constant matrix) make tokens; elementwise operators keep them, and so do Reshape,
/// Slice, Concat and Pad when they keep the last axis (Swin's `[N, h * w, C]` to `[N, h, w, C]`,
/// its cyclic shifts and window padding). Transposes and everything else end them, so the
/// convolutional head after `tokens.transpose(1, 2).reshape(...)` is channels-first again. A
/// second pass, backwards, gives the inputs of those operators the layout of their token output.
struct ONNXTokenTensors {
    private var tokens: Set<String> = []
    private let constants: Set<String>

    /// Operators whose output is tokens when an input with the same last axis is.
    static let keeping: Set<String> = ["Add", "Sub", "Mul", "Div", "Gelu", "Erf", "Relu", "Sigmoid", "Tanh", "Identity", "Dropout",
                                       "Reshape", "Slice", "Concat", "Pad"]

    init(graph: ONNXGraph, plan: ONNXExecutionPlan) {
        constants = Set(plan.constants.keys).union(graph.initializers.keys)
        let shapes = plan.tensorShapes
        forwardPass(graph, shapes)
        // Backwards too: what an elementwise step mixes into tokens has their layout (Swin's
        // reverse cyclic shift, a Concat of slices, feeds its residual Add), and so, once more
        // forwards, does what is computed from it (a ViT's first norm reads the embedded tokens).
        for node in graph.nodes.reversed() where Self.keeping.contains(node.opType) {
            guard let output = node.outputs.first, tokens.contains(output), let shape = shapes[output] else { continue }
            for input in node.inputs where !input.isEmpty && !constants.contains(input) {
                if let other = shapes[input], other.count == shape.count, other.last == shape.last { tokens.insert(input) }
            }
        }
        forwardPass(graph, shapes)
    }

    /// Marks the outputs of token-making and token-keeping nodes, in graph order.
    private mutating func forwardPass(_ graph: ONNXGraph, _ shapes: [String: [Int]]) {
        for node in graph.nodes {
            guard let output = node.outputs.first, let shape = shapes[output], shape.count >= 3 else { continue }
            let inputs = node.inputs.filter { !$0.isEmpty }
            let isToken: Bool
            switch node.opType {
            case "LayerNormalization":
                let axis = (try? node.int("axis", default: -1)) ?? -1
                isToken = axis == -1 || axis == shape.count - 1
            case "MatMul", "Gemm":
                isToken = inputs.count >= 2 && constants.contains(inputs[1]) && shapes[inputs[1]]?.count == 2
            case let op where Self.keeping.contains(op):
                isToken = inputs.contains { tokens.contains($0) && shapes[$0]?.last == shape.last }
            default:
                isToken = false
            }
            if isToken { tokens.insert(output) }
        }
    }

    func contains(_ tensor: String) -> Bool { tokens.contains(tensor) }

    /// Token tensors worth offering as explanation layers: LayerNormalization outputs, residual
    /// Adds (two computed inputs, one of them tokens), and the bias Adds that end an attention
    /// module's output projection (module path ending in `attn.proj`, as timm and smp name it) or a
    /// norm module (`norm1`, `norm`: a layer norm exported before opset 17 as a chain ending in `Add`).
    func isLayer(_ node: ONNXNode, module: String) -> Bool {
        switch node.opType {
        case "LayerNormalization": return true
        case "Add":
            let inputs = node.inputs.filter { !$0.isEmpty }
            guard inputs.count == 2, inputs.contains(where: tokens.contains) else { return false }
            let scope = module.split(separator: ".").last ?? ""
            return inputs.allSatisfy { !constants.contains($0) } || module.hasSuffix("attn.proj") || scope.hasPrefix("norm")
        default: return false
        }
    }
}
