import GeoLensTensor

/// Shape rules for operators that move, select or create elements without spatial arithmetic.
extension ONNXShapeRules {
    static func layout(_ node: ONNXNode, _ ctx: ONNXFoldingContext, opset: Int,
                       attributes: ONNXResolvedAttributes) throws -> ONNXInferredNode {
        var attrs = attributes
        let x = { (i: Int) throws -> [Int] in try ctx.shape(node, i) }
        func result(_ shape: [Int], _ type: ONNXElementType? = nil, consumed: Set<Int> = []) throws -> ONNXInferredNode {
            ONNXInferredNode(outputShapes: [shape], outputTypes: [type ?? ctx.type(node, 0)], attributes: attrs, consumedInputs: consumed)
        }
        switch node.opType {
        case "Constant":
            let value = try ONNXConstantNode.value(of: node)
            return ONNXInferredNode(outputShapes: [value.shape], outputTypes: [value.elementType], attributes: attrs)
        case "Shape":
            let rank = try x(0).count
            let start = min(max(try node.int("start", default: 0) + (try node.int("start", default: 0) < 0 ? rank : 0), 0), rank)
            let endAttr = try node.int("end", default: rank)
            let end = min(max(endAttr + (endAttr < 0 ? rank : 0), 0), rank)
            attrs.ints["start"] = [start]
            attrs.ints["end"] = [end]
            return try result([max(end - start, 0)], .int64)
        case "ConstantOfShape":
            let shape = try ctx.requireInts(node, 0, "shape")
            let type = try node.tensor("value")?.elementType ?? .float
            attrs.ints["shape"] = shape
            return try result(shape, type, consumed: [0])
        case "Range":
            let start = try requireFloat(node, ctx, 0), limit = try requireFloat(node, ctx, 1), delta = try requireFloat(node, ctx, 2)
            guard delta != 0 else { throw ONNXShapeMath.fail(node, "delta is 0") }
            let count = ((Double(limit) - Double(start)) / Double(delta)).rounded(.up)
            guard count.isFinite, count <= Double(ONNXShapeMath.maximumElements) else {
                throw ONNXShapeMath.fail(node, "start \(start), limit \(limit) and delta \(delta) give \(count) elements")
            }
            return try result([max(Int(count), 0)], ctx.type(node, 0))
        case "Concat":
            let shapes = try node.inputs.indices.filter { node.input($0) != nil }.map(x)
            guard let first = shapes.first else { throw ONNXShapeMath.fail(node, "has no inputs to concatenate") }
            let rank = first.count
            let axis = try ONNXShapeMath.axis(try node.int("axis", default: 0), rank: rank, node: node)
            var out = first
            for s in shapes.dropFirst() {
                guard s.count == rank, s.indices.allSatisfy({ $0 == axis || s[$0] == out[$0] }) else {
                    throw ONNXShapeMath.fail(node, "cannot concatenate shapes \(shapes) along axis \(axis)")
                }
                out[axis] += s[axis]
            }
            attrs.ints["axis"] = [axis]
            return try result(out)
        case "Split":
            let input = try x(0)
            let axis = try ONNXShapeMath.axis(try node.int("axis", default: 0), rank: input.count, node: node)
            let count = node.outputs.count
            var sizes = opset >= 13 ? try ctx.optionalInts(node, 1, "split sizes") : try node.ints("split")
            if sizes == nil {
                let part = (input[axis] + count - 1) / count
                sizes = (0 ..< count).map { min(part, max(input[axis] - $0 * part, 0)) }
            }
            guard let sizes, sizes.count == count, sizes.allSatisfy({ $0 >= 0 && $0 <= input[axis] }),
                  sizes.reduce(0, +) == input[axis] else {
                throw ONNXShapeMath.fail(node, "split sizes \(sizes ?? []) do not divide dimension \(input[axis]) of \(input) into \(count) outputs")
            }
            attrs.ints["axis"] = [axis]
            attrs.ints["split"] = sizes
            let shapes = sizes.map { size -> [Int] in var s = input; s[axis] = size; return s }
            return ONNXInferredNode(outputShapes: shapes, outputTypes: Array(repeating: ctx.type(node, 0), count: count), attributes: attrs, consumedInputs: [1])
        case "Slice":
            return try slice(node, ctx, attributes: attrs)
        case "Reshape":
            let input = try x(0)
            let target = try ctx.requireInts(node, 1, "target shape")
            let allowZero = try node.int("allowzero", default: 0) != 0
            var out = target.enumerated().map { i, d in d == 0 && !allowZero && i < input.count ? input[i] : d }
            guard out.allSatisfy({ $0 >= -1 }), out.filter({ $0 == -1 }).count <= 1 else {
                throw ONNXShapeMath.fail(node, "cannot reshape \(input) to \(target)")
            }
            if let unknown = out.firstIndex(of: -1) {
                let rest = out.enumerated().filter { $0.offset != unknown }.map(\.element)
                guard let known = ONNXShapeMath.product(rest), known > 0, Shape.count(input) % known == 0 else {
                    throw ONNXShapeMath.fail(node, "cannot reshape \(input) to \(target)")
                }
                out[unknown] = Shape.count(input) / known
            }
            guard ONNXShapeMath.product(out) == Shape.count(input), out.allSatisfy({ $0 >= 0 }) else {
                throw ONNXShapeMath.fail(node, "cannot reshape \(input) (\(Shape.count(input)) elements) to \(target)")
            }
            attrs.ints["shape"] = out
            return try result(out, consumed: [1])
        case "Flatten":
            let input = try x(0)
            let a = try node.int("axis", default: 1)
            let axis = a < 0 ? a + input.count : a
            guard axis >= 0 && axis <= input.count else { throw ONNXShapeMath.fail(node, "axis \(a) is out of range for \(input)") }
            attrs.ints["axis"] = [axis]
            return try result([Shape.count(Array(input[..<axis])), Shape.count(Array(input[axis...]))])
        case "Transpose":
            let input = try x(0)
            let perm = try node.ints("perm") ?? Array(input.indices.reversed())
            guard perm.sorted() == Array(input.indices) else { throw ONNXShapeMath.fail(node, "perm \(perm) does not fit \(input)") }
            attrs.ints["perm"] = perm
            return try result(perm.map { input[$0] })
        case "Squeeze":
            let input = try x(0)
            let given = opset >= 13 ? try ctx.optionalInts(node, 1, "axes") : try node.ints("axes")
            let axes = try given.map { try $0.map { try ONNXShapeMath.axis($0, rank: input.count, node: node) } }
                ?? input.indices.filter { input[$0] == 1 }
            guard axes.allSatisfy({ input[$0] == 1 }) else { throw ONNXShapeMath.fail(node, "cannot squeeze axes \(axes) of \(input)") }
            attrs.ints["axes"] = axes.sorted()
            return try result(input.indices.filter { !axes.contains($0) }.map { input[$0] }, consumed: [1])
        case "Unsqueeze":
            let input = try x(0)
            let given = opset >= 13 ? try ctx.requireInts(node, 1, "axes") : (try node.ints("axes") ?? [])
            let rank = input.count + given.count
            let axes = try given.map { try ONNXShapeMath.axis($0, rank: rank, node: node) }.sorted()
            var out = input
            for a in axes { out.insert(1, at: a) }
            attrs.ints["axes"] = axes
            return try result(out, consumed: [1])
        case "Gather":
            let data = try x(0), indices = try x(1)
            let axis = try ONNXShapeMath.axis(try node.int("axis", default: 0), rank: data.count, node: node)
            attrs.ints["axis"] = [axis]
            return try result(Array(data[..<axis]) + indices + Array(data[(axis + 1)...]))
        case "Expand":
            let target = try ctx.requireInts(node, 1, "target shape")
            let out = try ONNXShapeMath.broadcast([x(0), target], node: node)
            attrs.ints["shape"] = out
            return try result(out, consumed: [1])
        case "MatMul":
            return try result(try matMulShape(x(0), x(1), node: node))
        case "Gemm":
            let a = try x(0), b = try x(1)
            guard a.count == 2, b.count == 2 else { throw ONNXShapeMath.fail(node, "Gemm needs matrices, got \(a) and \(b)") }
            let transA = try node.int("transA", default: 0) != 0, transB = try node.int("transB", default: 0) != 0
            let (m, k) = transA ? (a[1], a[0]) : (a[0], a[1])
            let (k2, n) = transB ? (b[1], b[0]) : (b[0], b[1])
            guard k == k2 else { throw ONNXShapeMath.fail(node, "inner dimensions of \(a) and \(b) differ") }
            return try result([m, n])
        default:
            throw ONNXError(.unsupportedOperators, "node '\(node.name)' has operator type \(node.opType), which GeoLens does not run")
        }
    }

    private static func requireFloat(_ node: ONNXNode, _ ctx: ONNXFoldingContext, _ index: Int) throws -> Float {
        guard let value = ctx.constant(node, index)?.floats.first else {
            throw ONNXShapeMath.fail(node, "input \(index) must be a constant scalar to know the output length")
        }
        return value
    }
}
