/// The error every ONNX failure is reported with: what went wrong (`code`), a sentence that names
/// the file, node, tensor or value involved and says what to do (`message`), and the underlying
/// error when there is one (`cause`).
public struct ONNXError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure; new kinds may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The file could not be read at all.
        public static let unreadableFile = Code("unreadableFile")
        /// The bytes are not a valid ONNX protobuf (truncated, corrupt, or not ONNX).
        public static let malformedModel = Code("malformedModel")
        /// The model's operator set versions or domains are outside what GeoLens runs.
        public static let unsupportedOpset = Code("unsupportedOpset")
        /// The graph uses operators GeoLens does not run.
        public static let unsupportedOperators = Code("unsupportedOperators")
        /// An initializer's external data file is missing or too short.
        public static let externalData = Code("externalData")
        /// A tensor's data does not match its declared type or dimensions.
        public static let invalidTensor = Code("invalidTensor")
        /// A node's attribute is missing or has the wrong type.
        public static let invalidAttribute = Code("invalidAttribute")
        /// Shapes do not fit together, or a value needed to know a shape is not constant.
        public static let shapeInference = Code("shapeInference")
        /// The input shapes given for planning do not match the graph's inputs.
        public static let inputShape = Code("inputShape")
    }

    public let code: Code
    public let message: String
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return "ONNX \(code): \(message)" }
        return "ONNX \(code): \(message) (\(cause))"
    }
}
