import GeoLensTensor

/// The value of a `Constant` node, from whichever attribute holds it.
enum ONNXConstantNode {
    static func value(of node: ONNXNode) throws -> ONNXConstant {
        if let tensor = try node.tensor("value") { return tensor }
        if case .float(let v)? = node.attributes["value_float"] { return ONNXConstant(Tensor(v)) }
        if case .floats(let v)? = node.attributes["value_floats"] { return ONNXConstant(Tensor(shape: [v.count], scalars: v)) }
        if case .int(let v)? = node.attributes["value_int"] { return ONNXConstant(integers: [v], shape: []) }
        if case .ints(let v)? = node.attributes["value_ints"] { return ONNXConstant(int64s: v) }
        throw node.invalidAttribute("value", "is missing or of a kind GeoLens does not read (strings, sparse tensors)")
    }
}
