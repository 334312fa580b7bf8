import GeoLensTensor

/// What is known about the graph's tensors while folding: every tensor's shape and element
/// type, and the value of those that are constant.
struct ONNXFoldingContext {
    var shapes: [String: [Int]] = [:]
    var types: [String: ONNXElementType] = [:]
    var constants: [String: ONNXConstant] = [:]

    /// Records a constant value (and so its shape and type).
    mutating func setConstant(_ name: String, _ value: ONNXConstant) {
        constants[name] = value
        shapes[name] = value.shape
        types[name] = value.elementType
    }

    /// The shape of input `index` of `node`; throws when it is not known yet.
    func shape(_ node: ONNXNode, _ index: Int) throws -> [Int] {
        guard let name = node.input(index) else {
            throw ONNXError(.shapeInference, "node '\(node.name)' (\(node.opType)) lacks its required input \(index)")
        }
        guard let shape = shapes[name] else {
            throw ONNXError(.shapeInference, "node '\(node.name)' (\(node.opType)) reads '\(name)', "
                + "which no earlier node, initializer or graph input produces; the graph is not topologically valid")
        }
        return shape
    }

    /// The element type of input `index` of `node` (float when unknown).
    func type(_ node: ONNXNode, _ index: Int) -> ONNXElementType {
        node.input(index).flatMap { types[$0] } ?? .float
    }

    /// The constant value of input `index`, nil when the input is omitted or computed at run time.
    func constant(_ node: ONNXNode, _ index: Int) -> ONNXConstant? {
        node.input(index).flatMap { constants[$0] }
    }

    /// The integers of a constant input that a shape depends on; throws naming the node otherwise.
    func requireInts(_ node: ONNXNode, _ index: Int, _ what: String) throws -> [Int] {
        guard let value = constant(node, index) else {
            throw ONNXError(.shapeInference, "node '\(node.name)' (\(node.opType)): "
                + "its \(what) (input '\(node.input(index) ?? "")') is computed at run time from tensor values, "
                + "so shapes cannot be fixed before running; GeoLens needs it to follow from the input shape")
        }
        return value.ints
    }

    /// The integers of an optional constant input, nil when omitted or empty.
    func optionalInts(_ node: ONNXNode, _ index: Int, _ what: String) throws -> [Int]? {
        guard node.input(index) != nil else { return nil }
        let values = try requireInts(node, index, what)
        return values.isEmpty ? nil : values
    }
}

/// Broadcasting and axis helpers for shape rules, throwing `ONNXError` instead of trapping
/// because the shapes come from a file.
enum ONNXShapeMath {
    static func broadcast(_ shapes: [[Int]], node: ONNXNode) throws -> [Int] {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for shape in shapes {
            for (i, d) in shape.enumerated() {
                let o = rank - shape.count + i
                if out[o] == 1 { out[o] = d } else if d != 1 && d != out[o] {
                    throw ONNXError(.shapeInference, "node '\(node.name)' (\(node.opType)): shapes \(shapes) cannot be broadcast together")
                }
            }
        }
        return out
    }

    /// The largest kernel size, stride, dilation, group count or pad a shape rule accepts from a file.
    static let attributeLimit = 1 << 20
    /// The most elements any tensor of a plan may have (2^32, 16 GiB of Float): a memory budget
    /// checked on every inferred shape before anything of that shape is allocated.
    static let maximumElements = 1 << 32

    /// Fails unless every dimension of `shapes` is non-negative and each shape's element count
    /// stays within `maximumElements` (so products of dimensions never overflow later).
    static func checkSizes(_ shapes: [[Int]], node: ONNXNode) throws {
        for shape in shapes {
            var count = 1
            for d in shape {
                guard d >= 0 else { throw fail(node, "infers shape \(shape), which has a negative dimension") }
                let (product, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, product <= maximumElements || shape.contains(0) else {
                    throw fail(node, "infers shape \(shape), more than the \(maximumElements) elements GeoLens allocates for one tensor")
                }
                count = overflow ? maximumElements : product
            }
        }
    }

    /// The product of `dims`, or nil when it overflows.
    static func product(_ dims: [Int]) -> Int? {
        var count = 1
        for d in dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            count = p
        }
        return count
    }

    /// A possibly negative axis resolved against `rank`.
    static func axis(_ axis: Int, rank: Int, node: ONNXNode) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0 && a < max(rank, 1) else {
            throw ONNXError(.shapeInference, "node '\(node.name)' (\(node.opType)): axis \(axis) is out of range for rank \(rank)")
        }
        return a
    }

    /// Throws a shape error naming the node.
    static func fail(_ node: ONNXNode, _ problem: String) -> ONNXError {
        ONNXError(.shapeInference, "node '\(node.name)' (\(node.opType)): \(problem)")
    }
}
