/// Typed reads of node attributes, with ONNX defaults and errors that name the node.
extension ONNXNode {
    /// An integer attribute, `defaultValue` when absent.
    public func int(_ key: String, default defaultValue: Int) throws -> Int {
        guard let attribute = attributes[key] else { return defaultValue }
        if case .int(let v) = attribute { return v }
        throw wrongType(key, expected: "an integer", attribute)
    }

    /// A float attribute, `defaultValue` when absent.
    public func float(_ key: String, default defaultValue: Float) throws -> Float {
        guard let attribute = attributes[key] else { return defaultValue }
        switch attribute {
        case .float(let v): return v
        case .int(let v): return Float(v)
        default: throw wrongType(key, expected: "a float", attribute)
        }
    }

    /// A string attribute, `defaultValue` when absent.
    public func string(_ key: String, default defaultValue: String) throws -> String {
        guard let attribute = attributes[key] else { return defaultValue }
        if case .string(let v) = attribute { return v }
        throw wrongType(key, expected: "a string", attribute)
    }

    /// An integer-list attribute, nil when absent.
    public func ints(_ key: String) throws -> [Int]? {
        guard let attribute = attributes[key] else { return nil }
        switch attribute {
        case .ints(let v): return v
        case .int(let v): return [v]
        default: throw wrongType(key, expected: "a list of integers", attribute)
        }
    }

    /// A float-list attribute, nil when absent.
    public func floats(_ key: String) throws -> [Float]? {
        guard let attribute = attributes[key] else { return nil }
        switch attribute {
        case .floats(let v): return v
        case .float(let v): return [v]
        default: throw wrongType(key, expected: "a list of floats", attribute)
        }
    }

    /// A string-list attribute, nil when absent.
    public func strings(_ key: String) throws -> [String]? {
        guard let attribute = attributes[key] else { return nil }
        switch attribute {
        case .strings(let v): return v
        case .string(let v): return [v]
        default: throw wrongType(key, expected: "a list of strings", attribute)
        }
    }

    /// A tensor attribute, nil when absent.
    public func tensor(_ key: String) throws -> ONNXConstant? {
        guard let attribute = attributes[key] else { return nil }
        if case .tensor(let v) = attribute { return v }
        throw wrongType(key, expected: "a tensor", attribute)
    }

    /// An error naming this node and attribute, for values that are present but unusable.
    func invalidAttribute(_ key: String, _ problem: String) -> ONNXError {
        ONNXError(.invalidAttribute,
                  "node '\(name)' (\(opType)): attribute '\(key)' \(problem); re-export the model or report the exporter")
    }

    private func wrongType(_ key: String, expected: String, _ attribute: ONNXAttribute) -> ONNXError {
        invalidAttribute(key, "should be \(expected) but is \(attribute)")
    }
}
