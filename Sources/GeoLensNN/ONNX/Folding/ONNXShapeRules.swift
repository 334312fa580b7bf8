import GeoLensTensor

/// The outcome of a shape rule: output shapes and element types, the node's attributes with
/// constants resolved, and which inputs were consumed into those attributes.
struct ONNXInferredNode {
    var outputShapes: [[Int]]
    var outputTypes: [ONNXElementType]
    var attributes: ONNXResolvedAttributes
    var consumedInputs: Set<Int> = []
}

/// Output-shape rules for every supported operator (ONNX operator sets 11 to 20).
///
/// Rules are pure arithmetic on shapes and on the constant inputs shapes depend on; they also
/// normalise attributes across operator set versions (e.g. Squeeze axes moved from an attribute
/// to an input in opset 13) so that plan steps look the same whatever the export.
enum ONNXShapeRules {
    /// ONNX defaults of float attributes executors read, written into resolved attributes when absent.
    static let floatDefaults: [String: [String: Float]] = [
        "BatchNormalization": ["epsilon": 1e-5], "InstanceNormalization": ["epsilon": 1e-5], "LayerNormalization": ["epsilon": 1e-5],
        "LeakyRelu": ["alpha": 0.01], "HardSigmoid": ["alpha": 0.2, "beta": 0.5], "Gemm": ["alpha": 1, "beta": 1],
    ]
    /// ONNX defaults of integer attributes executors read.
    static let intDefaults: [String: [String: Int]] = [
        "Gemm": ["transA": 0, "transB": 0], "AveragePool": ["count_include_pad": 0], "ConvTranspose": ["group": 1],
    ]

    static func infer(_ node: ONNXNode, _ ctx: ONNXFoldingContext, opset: Int) throws -> ONNXInferredNode {
        var attrs = copiedAttributes(node)
        for (key, value) in floatDefaults[node.opType] ?? [:] where attrs.floats[key] == nil { attrs.floats[key] = [value] }
        for (key, value) in intDefaults[node.opType] ?? [:] where attrs.ints[key] == nil { attrs.ints[key] = [value] }
        if node.opType == "Softmax" {
            // Before opset 13 Softmax flattens to 2-D at `axis` (default 1); from 13 it works along `axis` (default -1).
            let rank = try ctx.shape(node, 0).count
            let axis = try node.int("axis", default: opset >= 13 ? -1 : 1)
            attrs.ints["axis"] = [try ONNXShapeMath.axis(axis, rank: rank, node: node)]
            attrs.ints["coerce_to_2d"] = [opset >= 13 ? 0 : 1]
        }
        let x = { (i: Int) throws -> [Int] in try ctx.shape(node, i) }
        func same(_ type: ONNXElementType? = nil) throws -> ONNXInferredNode {
            ONNXInferredNode(outputShapes: [try x(0)], outputTypes: [type ?? ctx.type(node, 0)], attributes: attrs)
        }
        switch node.opType {
        case "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Sqrt", "Exp", "Erf",
             "Ceil", "Identity", "Softmax", "InstanceNormalization", "BatchNormalization":
            return try same()
        case "Dropout":
            var inferred = try same()
            inferred.outputShapes.append(try x(0))
            inferred.outputTypes.append(.bool)
            inferred.consumedInputs = [1, 2]
            return inferred
        case "Clip":
            if opset >= 11 {
                attrs.floats["min"] = [ctx.constant(node, 1)?.floats.first ?? -.infinity]
                attrs.floats["max"] = [ctx.constant(node, 2)?.floats.first ?? .infinity]
                for i in [1, 2] where node.input(i) != nil && ctx.constant(node, i) == nil {
                    throw ONNXShapeMath.fail(node, "its bound '\(node.input(i)!)' is computed at run time; GeoLens needs constant Clip bounds")
                }
            }
            var inferred = try same()
            inferred.consumedInputs = [1, 2]
            return inferred
        case "Cast":
            let to = ONNXElementType(code: try node.int("to", default: 1))
            return try same(to)
        case "Add", "Sub", "Mul", "Div", "Pow", "Equal":
            let shape = try ONNXShapeMath.broadcast([x(0), x(1)], node: node)
            return ONNXInferredNode(outputShapes: [shape], outputTypes: [node.opType == "Equal" ? .bool : ctx.type(node, 0)], attributes: attrs)
        case "Where":
            let shape = try ONNXShapeMath.broadcast([x(0), x(1), x(2)], node: node)
            return ONNXInferredNode(outputShapes: [shape], outputTypes: [ctx.type(node, 1)], attributes: attrs)
        case "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "Resize", "Upsample", "Pad":
            return try spatial(node, ctx, opset: opset, attributes: attrs)
        case let op where transformerRules.contains(op):
            return try transformer(node, ctx, opset: opset, attributes: attrs)
        default:
            return try layout(node, ctx, opset: opset, attributes: attrs)
        }
    }

    /// Node attributes as plain numbers and strings (tensor attributes are read by the rules that need them).
    static func copiedAttributes(_ node: ONNXNode) -> ONNXResolvedAttributes {
        var attrs = ONNXResolvedAttributes()
        for (key, value) in node.attributes {
            switch value {
            case .int(let v): attrs.ints[key] = [v]
            case .ints(let v): attrs.ints[key] = v
            case .float(let v): attrs.floats[key] = [v]
            case .floats(let v): attrs.floats[key] = v
            case .string(let v): attrs.strings[key] = v
            default: break
            }
        }
        return attrs
    }

    /// MatMul's output shape with NumPy's rules for 1-D operands and batch broadcasting.
    static func matMulShape(_ a: [Int], _ b: [Int], node: ONNXNode) throws -> [Int] {
        guard !a.isEmpty, !b.isEmpty else { throw ONNXShapeMath.fail(node, "MatMul of a scalar (shapes \(a), \(b))") }
        let a2 = a.count == 1 ? [1] + a : a
        let b2 = b.count == 1 ? b + [1] : b
        guard a2[a2.count - 1] == b2[b2.count - 2] else {
            throw ONNXShapeMath.fail(node, "inner dimensions of \(a) and \(b) differ")
        }
        let batch = try ONNXShapeMath.broadcast([Array(a2.dropLast(2)), Array(b2.dropLast(2))], node: node)
        var out = batch
        if a.count > 1 { out.append(a2[a2.count - 2]) }
        if b.count > 1 { out.append(b2[b2.count - 1]) }
        return out
    }
}
