/// The tensors of a graph that hold tokens: features along their last axis, one row per token
/// (ViT and SegFormer `[N, tokens, C]`, timm Swin `[N, h, w, C]`).
///
/// Found by following the graph: LayerNormalization over the last axis and linear layers (MatMul
/// or Gemm by a constant matrix) make tokens; elementwise operators keep them; Reshapes that keep
/// the last axis (Swin's `[N, h * w, C]` to `[N, h, w, C]`) keep them. Transposes and everything
/// else end them, so the convolutional head after `tokens.transpose(1, 2).reshape(...)` is
/// channels-first again.
struct ONNXTokenTensors {
    private var tokens: Set<String> = []
    private let constants: Set<String>

    static let elementwise: Set<String> = ["Add", "Sub", "Mul", "Div", "Gelu", "Erf", "Relu", "Sigmoid", "Tanh", "Identity", "Dropout"]

    init(graph: ONNXGraph, plan: ONNXExecutionPlan) {
        constants = Set(plan.constants.keys).union(graph.initializers.keys)
        let shapes = plan.tensorShapes
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
            case "Reshape":
                isToken = tokens.contains(inputs.first ?? "") && shapes[inputs[0]]?.last == shape.last
            case let op where Self.elementwise.contains(op):
                isToken = inputs.contains { tokens.contains($0) && shapes[$0]?.last == shape.last }
            default:
                isToken = false
            }
            if isToken { tokens.insert(output) }
        }
    }

    func contains(_ tensor: String) -> Bool { tokens.contains(tensor) }

    /// Token tensors worth offering as explanation layers: LayerNormalization outputs and residual
    /// Adds (two computed inputs, one of them tokens; not a bias).
    func isLayer(_ node: ONNXNode) -> Bool {
        switch node.opType {
        case "LayerNormalization": return true
        case "Add":
            let inputs = node.inputs.filter { !$0.isEmpty }
            return inputs.count == 2 && inputs.allSatisfy { !constants.contains($0) } && inputs.contains(where: tokens.contains)
        default: return false
        }
    }
}
