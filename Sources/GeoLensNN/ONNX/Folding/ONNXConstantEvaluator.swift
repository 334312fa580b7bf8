import Foundation
import GeoLensTensor

/// Evaluates a node whose inputs are all constant, at plan time: the integer shape subgraph
/// (Shape, Gather, Unsqueeze, Concat, Slice, Cast, arithmetic, ...) and cheap constant
/// rewrites of weights (Cast of float16 initializers, Identity, Reshape).
///
/// Elements are handled as `[Int]` for integer and boolean types and `[Float]` otherwise;
/// index-moving ops work on a list of source indices so both kinds share one code path.
enum ONNXConstantEvaluator {
    /// Operators evaluated at plan time when their inputs are constant.
    static let foldable: Set<String> = [
        "Constant", "Shape", "Identity", "Dropout", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
        "Cast", "Gather", "Concat", "Slice", "Transpose", "Expand", "Split", "ConstantOfShape", "Range",
        "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Where", "Ceil", "Sqrt", "Exp", "Clip", "Relu",
    ]
    /// Ops that only relabel or move elements stay cheap for any size; arithmetic is folded only
    /// for tensors up to this many elements (bigger ones run as steps).
    static let arithmeticLimit = 1 << 20

    /// Whether `node` is evaluated now rather than planned as a step.
    static func canFold(_ node: ONNXNode, _ ctx: ONNXFoldingContext, _ inferred: ONNXInferredNode) -> Bool {
        guard foldable.contains(node.opType) || transformerFoldable.contains(node.opType) else { return false }
        if node.opType == "Constant" || node.opType == "Shape" { return true }
        let valueInputs = node.inputs.indices.filter { node.input($0) != nil && !inferred.consumedInputs.contains($0) }
        guard valueInputs.allSatisfy({ ctx.constant(node, $0) != nil }) else { return false }
        let moves: Set<String> = ["Identity", "Dropout", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast"]
        return moves.contains(node.opType) || inferred.outputShapes.allSatisfy { Shape.count($0) <= arithmeticLimit }
    }

    /// The values of the node's outputs.
    static func evaluate(_ node: ONNXNode, _ ctx: ONNXFoldingContext, _ inferred: ONNXInferredNode) throws -> [ONNXConstant] {
        let attrs = inferred.attributes
        let shape = inferred.outputShapes[0], type = inferred.outputTypes[0]
        func input(_ i: Int) -> ONNXConstant { ctx.constant(node, i)! }
        func relabel(_ value: ONNXConstant) -> [ONNXConstant] { [ONNXElements(value).constant(shape: shape, type: value.elementType)] }
        if transformerFoldable.contains(node.opType) { return try evaluateTransformer(node, ctx, inferred) }
        switch node.opType {
        case "Constant": return [try ONNXConstantNode.value(of: node)]
        case "Shape":
            let full = try ctx.shape(node, 0)
            return [ONNXConstant(int64s: Array(full[attrs.int("start")! ..< max(attrs.int("end")!, attrs.int("start")!)]))]
        case "Identity", "Dropout", "Reshape", "Flatten", "Squeeze", "Unsqueeze":
            return relabel(input(0))
        case "Cast":
            return [ONNXElements(input(0)).cast(to: type).constant(shape: shape, type: type)]
        case "ConstantOfShape":
            let fill = try node.tensor("value") ?? ONNXConstant(Tensor(shape: [1], scalars: [0]))
            let elements = ONNXElements(fill).gathered(Array(repeating: 0, count: Shape.count(shape)))
            return [elements.constant(shape: shape, type: fill.elementType)]
        case "Range":
            let start = ONNXElements(input(0)), delta = ONNXElements(input(2))
            return [start.range(count: shape[0], delta: delta).constant(shape: shape, type: type)]
        case "Gather":
            return [try gather(node, input(0), input(1), axis: attrs.int("axis")!, shape: shape)]
        case "Concat":
            return [concat(node.inputs.indices.filter { node.input($0) != nil }.map(input), axis: attrs.int("axis")!, shape: shape)]
        case "Split":
            var offset = 0
            return zip(attrs.ints["split"]!, inferred.outputShapes).map { size, outShape in
                defer { offset += size }
                return ONNXIndexing.slice(input(0), starts: offset, axis: attrs.int("axis")!, shape: outShape)
            }
        case "Slice":
            let source = input(0)
            let indices = ONNXIndexing.sliceIndices(source.shape, starts: attrs.ints["starts"]!, steps: attrs.ints["steps"]!, shape: shape)
            return [ONNXElements(source).gathered(indices).constant(shape: shape, type: source.elementType)]
        case "Transpose":
            let source = input(0)
            let indices = ONNXIndexing.transposeIndices(source.shape, perm: attrs.ints["perm"]!)
            return [ONNXElements(source).gathered(indices).constant(shape: shape, type: source.elementType)]
        case "Expand":
            let source = input(0)
            return [ONNXElements(source).gathered(ONNXIndexing.broadcastIndices(source.shape, to: shape)).constant(shape: shape, type: source.elementType)]
        case "Where":
            let cond = ONNXElements(input(0)).gathered(ONNXIndexing.broadcastIndices(input(0).shape, to: shape)).asInts
            let a = ONNXElements(input(1)).gathered(ONNXIndexing.broadcastIndices(input(1).shape, to: shape))
            let b = ONNXElements(input(2)).gathered(ONNXIndexing.broadcastIndices(input(2).shape, to: shape))
            return [a.selecting(b, where: cond).constant(shape: shape, type: type)]
        case "Ceil", "Sqrt", "Exp", "Relu":
            return [ONNXElements(input(0)).unary(node.opType).constant(shape: shape, type: type)]
        case "Clip":
            return [ONNXElements(input(0)).clipped(min: attrs.float("min")!, max: attrs.float("max")!).constant(shape: shape, type: type)]
        default: // Add, Sub, Mul, Div, Pow, Equal
            let a = ONNXElements(input(0)).gathered(ONNXIndexing.broadcastIndices(input(0).shape, to: shape))
            let b = ONNXElements(input(1)).gathered(ONNXIndexing.broadcastIndices(input(1).shape, to: shape))
            return [try a.combined(with: b, node.opType, node: node).constant(shape: shape, type: type)]
        }
    }

    private static func gather(_ node: ONNXNode, _ data: ONNXConstant, _ indices: ONNXConstant, axis: Int, shape: [Int]) throws -> ONNXConstant {
        let dim = data.shape[axis]
        let positions = try indices.ints.map { i -> Int in
            let p = i < 0 ? i + dim : i
            guard p >= 0 && p < dim else { throw ONNXShapeMath.fail(node, "index \(i) is out of range for dimension \(dim) of \(data.shape)") }
            return p
        }
        let outer = Shape.count(Array(data.shape[..<axis])), inner = Shape.count(Array(data.shape[(axis + 1)...]))
        var source: [Int] = []
        source.reserveCapacity(outer * positions.count * inner)
        for o in 0 ..< outer { for p in positions { for i in 0 ..< inner { source.append((o * dim + p) * inner + i) } } }
        return ONNXElements(data).gathered(source).constant(shape: shape, type: data.elementType)
    }

    private static func concat(_ parts: [ONNXConstant], axis: Int, shape: [Int]) -> ONNXConstant {
        let outer = Shape.count(Array(shape[..<axis])), inner = Shape.count(Array(shape[(axis + 1)...]))
        let isFloat = parts.contains { $0.elementType.isFloatingPoint }
        let floatParts = isFloat ? parts.map(\.floats) : [], intParts = isFloat ? [] : parts.map(\.ints)
        var ints: [Int] = [], floats: [Float] = []
        for o in 0 ..< outer {
            for (k, part) in parts.enumerated() {
                let block = part.shape[axis] * inner
                let range = (o * block) ..< ((o + 1) * block)
                if isFloat { floats += floatParts[k][range] } else { ints += intParts[k][range] }
            }
        }
        let elements: ONNXElements = isFloat ? .floats(floats) : .ints(ints)
        return elements.constant(shape: shape, type: parts.first { $0.elementType.isFloatingPoint == isFloat }!.elementType)
    }
}
