import GeoLensTensor

/// Plan-time evaluation of the operators transformer exports add, for constant inputs: integer
/// shape arithmetic (`Mod`, comparisons, logic, `Max`/`Min`) and constant index tensors
/// (`Tile`, `Trilu`, `CumSum`, `GatherElements`, `ScatterND` of relative-position tables and masks).
extension ONNXConstantEvaluator {
    /// Operator types `evaluateTransformer` folds.
    static let transformerFoldable: Set<String> = [
        "Mod", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Max", "Min",
        "Neg", "Abs", "Not", "Tile", "Trilu", "CumSum", "GatherElements", "ScatterND",
    ]

    static func evaluateTransformer(_ node: ONNXNode, _ ctx: ONNXFoldingContext, _ inferred: ONNXInferredNode) throws -> [ONNXConstant] {
        let attrs = inferred.attributes
        let shape = inferred.outputShapes[0], type = inferred.outputTypes[0]
        func input(_ i: Int) -> ONNXConstant { ctx.constant(node, i)! }
        func broadcast(_ i: Int) -> ONNXElements {
            ONNXElements(input(i)).gathered(ONNXIndexing.broadcastIndices(input(i).shape, to: shape))
        }
        switch node.opType {
        case "Neg", "Abs", "Not":
            return [ONNXElements(input(0)).unary(node.opType).constant(shape: shape, type: type)]
        case "Max", "Min":
            let operands = node.inputs.indices.filter { node.input($0) != nil }
            let combined = try operands.dropFirst().reduce(broadcast(operands[0])) { try $0.combined(with: broadcast($1), node.opType, node: node) }
            return [combined.constant(shape: shape, type: type)]
        case "Mod":
            let op = attrs.int("fmod") == 1 ? "Fmod" : "Mod"
            return [try broadcast(0).combined(with: broadcast(1), op, node: node).constant(shape: shape, type: type)]
        case "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor":
            return [try broadcast(0).combined(with: broadcast(1), node.opType, node: node).constant(shape: shape, type: .bool)]
        case "Tile":
            let source = input(0)
            let indices = ONNXIndexing.tileIndices(source.shape, shape: shape)
            return [ONNXElements(source).gathered(indices).constant(shape: shape, type: source.elementType)]
        case "Trilu":
            let source = input(0), upper = attrs.int("upper") != 0, k = attrs.int("k") ?? 0
            let (rows, columns) = (shape[shape.count - 2], shape[shape.count - 1])
            let keep = (0..<Shape.count(shape)).map { i -> Int in
                let (row, column) = ((i / columns) % rows, i % columns)
                return (upper ? column - row >= k : column - row <= k) ? 1 : 0
            }
            let zeros = ONNXElements(source).cast(to: source.elementType).zeroed
            return [ONNXElements(source).selecting(zeros, where: keep).constant(shape: shape, type: source.elementType)]
        case "CumSum":
            return [ONNXElements(input(0)).runningSum(shape: shape, axis: attrs.int("axis")!, exclusive: attrs.int("exclusive") == 1,
                                                      reverse: attrs.int("reverse") == 1).constant(shape: shape, type: type)]
        case "GatherElements":
            let source = input(0)
            let offsets = try ONNXIndexing.elementSources(input(1), dataShape: source.shape, axis: attrs.int("axis")!, node: node)
            return [ONNXElements(source).gathered(offsets).constant(shape: shape, type: source.elementType)]
        default: // ScatterND
            guard (attrs.strings["reduction"] ?? "none") == "none" else {
                throw ONNXShapeMath.fail(node, "folds ScatterND only without a reduction")
            }
            let data = input(0), indices = input(1), updates = input(2)
            let q = indices.shape.last ?? 0
            let slice = Shape.count(Array(data.shape[q...]))
            let strides = Shape.strides(data.shape), rows = indices.ints
            var sources = Array(0..<data.count)  // < data.count: from data; otherwise data.count + update index
            for t in 0..<(indices.count / max(q, 1)) {
                var offset = 0
                for d in 0..<q {
                    let i = rows[t * q + d], position = i < 0 ? i + data.shape[d] : i
                    guard position >= 0 && position < data.shape[d] else { throw ONNXShapeMath.fail(node, "index \(i) is out of range for \(data.shape)") }
                    offset += position * strides[d]
                }
                for j in 0..<slice { sources[offset + j] = data.count + t * slice + j }
            }
            let merged = ONNXElements.joined(ONNXElements(data), ONNXElements(updates))
            return [merged.gathered(sources).constant(shape: shape, type: data.elementType)]
        }
    }
}
