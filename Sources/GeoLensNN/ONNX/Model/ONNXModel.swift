public import Foundation
import GeoLensTensor

/// An ONNX model read from disk: operator set imports, the graph, and its constants.
///
/// `load(_:)` memory-maps the file, decodes the protobuf with the generated swift-protobuf
/// types, converts initializers (float, float16, bfloat16, double to Float32 tensors;
/// integers to `[Int]`), reads external data files beside the model, and refuses graphs
/// GeoLens cannot run (see `ONNXOperatorSupport`) with one error listing every problem.
/// Execution plans for concrete input shapes come from `plan(for:)` and are cached.
public struct ONNXModel: Sendable {
    /// Where the model was read from.
    public let url: URL
    public let irVersion: Int
    public let producer: String
    public let opsetImports: [ONNXOpsetImport]
    public let graph: ONNXGraph
    let planCache = ONNXPlanCache()

    /// The version of the default (`ai.onnx`) operator set, 0 when the model does not import it.
    public var opsetVersion: Int {
        opsetImports.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0
    }

    init(url: URL, irVersion: Int, producer: String, opsetImports: [ONNXOpsetImport], graph: ONNXGraph) {
        self.url = url
        self.irVersion = irVersion
        self.producer = producer
        self.opsetImports = opsetImports
        self.graph = graph
    }

    /// Reads and checks the model at `url`.
    /// - Throws: `ONNXError` when the file is unreadable, truncated or corrupt, refers to missing
    ///   external data, or uses operator sets or operators outside `ONNXOperatorSupport`.
    public static func load(_ url: URL) throws -> ONNXModel {
        let model = try parse(url)
        try ONNXOperatorSupport.validate(model)
        return model
    }

    /// Reads the model without checking operator support (inspection of any model, tests).
    static func parse(_ url: URL) throws -> ONNXModel {
        // The mapped file is released once decoded (the message holds its own copy of the
        // weights), so the file's pages and the converted tensors are never resident together.
        var (proto, byteCount) = try decode(url)
        guard proto.irVersion > 0, proto.hasGraph, !proto.graph.node.isEmpty, !proto.opsetImport.isEmpty else {
            let missing = proto.irVersion <= 0 ? "an IR version" : !proto.hasGraph || proto.graph.node.isEmpty ? "a graph with nodes" : "operator set imports"
            throw ONNXError(.malformedModel, "'\(url.path)' (\(byteCount) bytes) lacks \(missing), "
                + "so it is not a complete ONNX model; the file may be truncated: export or download it again")
        }
        var graphProto = proto.graph
        proto.clearGraph()
        let graph = try ONNXProtoConversion(modelURL: url).graph(consuming: &graphProto)
        let imports = proto.opsetImport.map { ONNXOpsetImport(domain: $0.domain, version: Int($0.version)) }
        return ONNXModel(url: url, irVersion: Int(proto.irVersion), producer: proto.producerName,
                         opsetImports: imports, graph: graph)
    }

    /// The decoded message and the file's size.
    private static func decode(_ url: URL) throws -> (Onnx_ModelProto, Int) {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw ONNXError(.unreadableFile, "cannot read ONNX model '\(url.path)'; check the path and permissions", cause: error)
        }
        do {
            return (try Onnx_ModelProto(serializedBytes: bytes), bytes.count)
        } catch {
            throw ONNXError(.malformedModel, "'\(url.path)' (\(bytes.count) bytes) is not a valid ONNX model: "
                + "the file is truncated, corrupt or in another format; export or download it again", cause: error)
        }
    }

    /// The execution plan for concrete input shapes (by graph input name), built once per set
    /// of shapes and reused. Graph inputs left out take their declared fixed shape.
    public func plan(for inputShapes: [String: [Int]]) throws -> ONNXExecutionPlan {
        let resolved = try ONNXGraphFolder.resolveInputShapes(inputShapes, graph: graph)
        if let cached = planCache.plan(for: resolved) { return cached }
        let plan = try ONNXGraphFolder(graph: graph, opsetVersion: opsetVersion).plan(inputShapes: resolved)
        planCache.store(plan, for: resolved)
        return plan
    }
}
