/// One dimension of a declared tensor shape: a fixed extent, a named symbolic extent
/// (`"batch"`, `"height"`), or unknown.
public enum ONNXDimension: Sendable, Hashable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)
    case unknown

    /// The extent when it is fixed.
    public var value: Int? {
        if case .fixed(let v) = self { return v }
        return nil
    }

    public var description: String {
        switch self {
        case .fixed(let v): return String(v)
        case .symbolic(let name): return name
        case .unknown: return "?"
        }
    }
}

/// A graph input or output: its name, element type and declared (possibly symbolic) shape.
public struct ONNXValueInfo: Sendable, CustomStringConvertible {
    public let name: String
    public let elementType: ONNXElementType
    /// Nil when the model does not declare a shape at all.
    public let shape: [ONNXDimension]?

    public init(name: String, elementType: ONNXElementType, shape: [ONNXDimension]?) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }

    public var description: String {
        let dims = shape.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" } ?? "[unknown shape]"
        return "\(name): \(elementType) \(dims)"
    }
}

/// A node attribute, decoded from `AttributeProto`.
public enum ONNXAttribute: Sendable {
    case int(Int)
    case float(Float)
    case string(String)
    case ints([Int])
    case floats([Float])
    case strings([String])
    case tensor(ONNXConstant)
    /// Graph-valued and other attribute kinds GeoLens never needs; the payload names the kind.
    case unsupported(String)
}

/// One operator application of the graph.
public struct ONNXNode: Sendable {
    /// The node's name; exporters usually give one, otherwise `"<opType>_<index>"` is used.
    public let name: String
    public let opType: String
    /// `""` (or `"ai.onnx"`) for the default operator set.
    public let domain: String
    /// Input tensor names; `""` marks an omitted optional input.
    public let inputs: [String]
    public let outputs: [String]
    public let attributes: [String: ONNXAttribute]

    public init(name: String, opType: String, domain: String = "", inputs: [String], outputs: [String],
                attributes: [String: ONNXAttribute] = [:]) {
        self.name = name
        self.opType = opType
        self.domain = domain
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// Whether the node belongs to the default ONNX operator set.
    public var isDefaultDomain: Bool { domain.isEmpty || domain == "ai.onnx" }

    /// The input at `index` when present and not omitted.
    public func input(_ index: Int) -> String? {
        index < inputs.count && !inputs[index].isEmpty ? inputs[index] : nil
    }
}

/// An operator set a model imports: a domain (`""` is the default ONNX domain) and its version.
public struct ONNXOpsetImport: Sendable, Hashable, CustomStringConvertible {
    public let domain: String
    public let version: Int

    public init(domain: String, version: Int) {
        self.domain = domain
        self.version = version
    }

    public var description: String { "\(domain.isEmpty ? "ai.onnx" : domain) v\(version)" }
}

/// The computation graph: real inputs (initializers excluded), outputs, nodes in file order,
/// and the constant tensors (initializers and `Constant` node values) by name.
public struct ONNXGraph: Sendable {
    public let name: String
    public let inputs: [ONNXValueInfo]
    public let outputs: [ONNXValueInfo]
    public let nodes: [ONNXNode]
    /// Initializers, by tensor name.
    public let initializers: [String: ONNXConstant]
    /// Initializer names in file order (for stable listings).
    public let initializerNames: [String]

    public init(name: String, inputs: [ONNXValueInfo], outputs: [ONNXValueInfo], nodes: [ONNXNode],
                initializers: [String: ONNXConstant], initializerNames: [String]) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.initializers = initializers
        self.initializerNames = initializerNames
    }

    /// The number of learned floating-point values held in initializers.
    public var parameterCount: Int {
        initializers.values.reduce(0) { $0 + ($1.elementType.isFloatingPoint ? $1.count : 0) }
    }
}
