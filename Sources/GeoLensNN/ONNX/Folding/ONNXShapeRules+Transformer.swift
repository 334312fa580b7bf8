import GeoLensTensor

/// Shape rules for the operators of transformer exports: normalization, Einsum, comparisons and
/// logic, reductions, running sums, tiling, triangular masks and index-tensor selection.
extension ONNXShapeRules {
    /// Operator types `transformer(_:_:opset:attributes:)` knows.
    static let transformerRules: Set<String> = [
        "LayerNormalization", "Gelu", "Einsum", "Neg", "Abs", "Reciprocal", "Log", "Not",
        "Mod", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Max", "Min",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "CumSum", "Tile", "Trilu", "GatherElements", "ScatterND",
    ]

    static func transformer(_ node: ONNXNode, _ ctx: ONNXFoldingContext, opset: Int,
                            attributes: ONNXResolvedAttributes) throws -> ONNXInferredNode {
        var attrs = attributes
        let x = { (i: Int) throws -> [Int] in try ctx.shape(node, i) }
        func result(_ shape: [Int], _ type: ONNXElementType? = nil, consumed: Set<Int> = []) -> ONNXInferredNode {
            ONNXInferredNode(outputShapes: [shape], outputTypes: [type ?? ctx.type(node, 0)], attributes: attrs, consumedInputs: consumed)
        }
        switch node.opType {
        case "LayerNormalization":
            let input = try x(0)
            let axis = try ONNXShapeMath.axis(try node.int("axis", default: -1), rank: input.count, node: node)
            attrs.ints["axis"] = [axis]
            attrs.floats["epsilon"] = [try node.float("epsilon", default: 1e-5)]
            let scale = try x(1)
            _ = try ONNXShapeMath.broadcast([Array(input[axis...]), scale], node: node)
            let statistics = Array(input[..<axis]) + Array(repeating: 1, count: input.count - axis)
            var inferred = result(input)
            for _ in node.outputs.dropFirst() {
                inferred.outputShapes.append(statistics)
                inferred.outputTypes.append(.float)
            }
            return inferred
        case "Gelu", "Neg", "Abs", "Reciprocal", "Log":
            attrs.strings["approximate"] = node.opType == "Gelu" ? try node.string("approximate", default: "none") : nil
            return result(try x(0))
        case "Not":
            return result(try x(0), .bool)
        case "Einsum":
            let shapes = try node.inputs.indices.map(x)
            let equation = try node.string("equation", default: "")
            return result(try ONNXEinsum(equation, shapes: shapes, node: node.name).outputShape)
        case "Mod", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Max", "Min":
            let shapes = try node.inputs.indices.filter { node.input($0) != nil }.map(x)
            let shape = try ONNXShapeMath.broadcast(shapes, node: node)
            if node.opType == "Mod" { attrs.ints["fmod"] = [try node.int("fmod", default: 0)] }
            let isBoolean = !["Mod", "Max", "Min"].contains(node.opType)
            return result(shape, isBoolean ? .bool : ctx.type(node, 0))
        case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin":
            // Axes moved from an attribute to an input in opset 13 (ReduceSum) and 18 (the others).
            let input = try x(0)
            let axesAreInput = node.opType == "ReduceSum" ? opset >= 13 : opset >= 18
            let given = axesAreInput ? try ctx.optionalInts(node, 1, "axes") : try node.ints("axes")
            let keep = try node.int("keepdims", default: 1) != 0
            if given == nil, try node.int("noop_with_empty_axes", default: 0) != 0 {
                attrs.ints["axes"] = []
                return result(input, consumed: [1])
            }
            let axes = try (given ?? Array(input.indices)).map { try ONNXShapeMath.axis($0, rank: input.count, node: node) }
            attrs.ints["axes"] = axes.sorted()
            attrs.ints["keepdims"] = [keep ? 1 : 0]
            return result(input.indices.compactMap { axes.contains($0) ? (keep ? 1 : nil) : input[$0] }, consumed: [1])
        case "CumSum":
            let input = try x(0)
            guard let axis = try ctx.requireInts(node, 1, "axis").first else { throw ONNXShapeMath.fail(node, "has an empty axis input") }
            attrs.ints["axis"] = [try ONNXShapeMath.axis(axis, rank: input.count, node: node)]
            attrs.ints["exclusive"] = [try node.int("exclusive", default: 0)]
            attrs.ints["reverse"] = [try node.int("reverse", default: 0)]
            return result(input, consumed: [1])
        case "Tile":
            let input = try x(0)
            let repeats = try ctx.requireInts(node, 1, "repeats")
            guard repeats.count == input.count, repeats.allSatisfy({ $0 >= 0 && $0 <= ONNXShapeMath.maximumElements }) else {
                throw ONNXShapeMath.fail(node, "repeats \(repeats) do not give one count (0 to \(ONNXShapeMath.maximumElements)) per axis of \(input)")
            }
            attrs.ints["repeats"] = repeats
            let tiled = zip(input, repeats).map { $0.multipliedReportingOverflow(by: $1) }
            guard !tiled.contains(where: \.overflow) else {
                throw ONNXShapeMath.fail(node, "repeats \(repeats) of \(input) overflow")
            }
            return result(tiled.map(\.partialValue), consumed: [1])
        case "Trilu":
            let input = try x(0)
            guard input.count >= 2 else { throw ONNXShapeMath.fail(node, "needs rank >= 2, got \(input)") }
            attrs.ints["k"] = [try ctx.optionalInts(node, 1, "k")?.first ?? 0]
            attrs.ints["upper"] = [try node.int("upper", default: 1)]
            return result(input, consumed: [1])
        case "GatherElements":
            let data = try x(0), indices = try x(1)
            let axis = try ONNXShapeMath.axis(try node.int("axis", default: 0), rank: data.count, node: node)
            guard indices.count == data.count else { throw ONNXShapeMath.fail(node, "indices \(indices) and data \(data) differ in rank") }
            attrs.ints["axis"] = [axis]
            return result(indices)
        default: // ScatterND
            let data = try x(0), indices = try x(1), updates = try x(2)
            guard let q = indices.last, q <= data.count, updates == Array(indices.dropLast()) + Array(data[q...]) else {
                throw ONNXShapeMath.fail(node, "indices \(indices) and updates \(updates) do not fit data \(data)")
            }
            attrs.strings["reduction"] = try node.string("reduction", default: "none")
            return result(data)
        }
    }
}
