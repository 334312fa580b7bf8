/// A summary of an ONNX model for `geolens inspect`: inputs, outputs, operator sets, operator
/// counts, parameter count, and the intermediate tensors that can be chosen as `--layer`, in
/// graph order: 4-D outputs of convolutions, activations, Add, Concat and Resize nodes, and in
/// transformer encoders the token tensors of LayerNormalization nodes and residual Adds
/// (`[N, tokens, C]`, or `[N, h, w, C]` in timm Swin), each with the PyTorch module path its
/// node name records (`encoder.blocks.2.norm1`).
public struct ONNXInspection: Sendable, CustomStringConvertible {
    /// A tensor usable as an explanation layer.
    public struct Layer: Sendable, Equatable {
        /// The tensor name to pass as `--layer`.
        public let name: String
        /// The node producing it and that node's operator type.
        public let node: String
        public let opType: String
        /// Its shape for the inspected input shape.
        public let shape: [Int]
        /// The PyTorch module path of the node (from TorchScript exporter names such as
        /// `/encoder/blocks/blocks.2/norm1/LayerNormalization`), empty when the name has none.
        public let module: String
        /// How the tensor lays out its features.
        public let layout: FeatureLayout

        /// The number of grid positions (tokens for token tensors, including class tokens).
        public var positions: Int {
            switch layout {
            case .channelsFirst: shape[2] * shape[3]
            case .channelsLast: shape[1] * shape[2]
            case .tokens: shape[1]
            }
        }
    }

    public let path: String
    public let producer: String
    public let inputs: [ONNXValueInfo]
    public let outputs: [ONNXValueInfo]
    public let opsetImports: [ONNXOpsetImport]
    /// Operator types with their node counts, most frequent first (ties by name).
    public let operatorCounts: [(opType: String, count: Int)]
    public let parameterCount: Int
    /// The input shapes the layer shapes were computed for.
    public let inputShapes: [String: [Int]]
    public let layers: [Layer]

    /// Operator types whose 4-D outputs are offered as layers.
    public static let layerOperators: Set<String> = [
        "Conv", "ConvTranspose", "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Clip",
        "Add", "Concat", "Resize", "Upsample",
    ]
    /// The extent given to symbolic spatial dimensions when no input shape is given.
    public static let defaultSpatialExtent = 256

    /// Inspects `model`; symbolic input dimensions are taken from `inputShapes`, or else 1 for
    /// the batch axis and `defaultSpatialExtent` for the others.
    public init(model: ONNXModel, inputShapes given: [String: [Int]] = [:]) throws {
        path = model.url.path
        producer = model.producer
        inputs = model.graph.inputs
        outputs = model.graph.outputs
        opsetImports = model.opsetImports
        parameterCount = model.graph.parameterCount
        var counts: [String: Int] = [:]
        for node in model.graph.nodes { counts[node.opType, default: 0] += 1 }
        operatorCounts = counts.map { (opType: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.opType < $1.opType }
        var shapes = given
        for input in model.graph.inputs where shapes[input.name] == nil {
            shapes[input.name] = (input.shape ?? []).enumerated().map { axis, dim in
                dim.value ?? (axis == 0 ? 1 : Self.defaultSpatialExtent)
            }
        }
        inputShapes = shapes
        let plan = try model.plan(for: shapes)
        let computed = Set(plan.steps.flatMap(\.outputs))
        let tokens = ONNXTokenTensors(graph: model.graph, plan: plan)
        // Layers hold one row per image (not per attention window, as Swin's internals do).
        let batch = model.graph.inputs.first.flatMap { shapes[$0.name]?.first } ?? 1
        layers = model.graph.nodes.compactMap { node -> Layer? in
            guard let output = node.outputs.first, computed.contains(output), let shape = plan.tensorShapes[output],
                  shape.first == batch else { return nil }
            let module = Self.modulePath(node.name)
            if tokens.contains(output) {
                guard tokens.isLayer(node, module: module), shape.count == 3 || shape.count == 4 else { return nil }
                return Layer(name: output, node: node.name, opType: node.opType, shape: shape, module: module,
                             layout: shape.count == 3 ? .tokens : .channelsLast)
            }
            guard Self.layerOperators.contains(node.opType), shape.count == 4 else { return nil }
            return Layer(name: output, node: node.name, opType: node.opType, shape: shape, module: module, layout: .channelsFirst)
        }
    }

    /// The PyTorch module path a TorchScript exporter node name records: `/encoder/blocks/blocks.2/norm1/LayerNormalization`
    /// gives `encoder.blocks.2.norm1` (a scope repeating its parent's name, as `nn.Sequential`
    /// children do, adds only its own suffix). Empty for names without scopes.
    public static func modulePath(_ nodeName: String) -> String {
        guard nodeName.hasPrefix("/") else { return "" }
        let scopes = nodeName.split(separator: "/").dropLast().map(String.init)
        var path: [String] = []
        for scope in scopes {
            if let last = path.last, scope.hasPrefix(last + ".") {
                path.append(String(scope.dropFirst(last.count + 1)))
            } else {
                path.append(scope)
            }
        }
        return path.joined(separator: ".")
    }

    /// The text `geolens inspect` prints.
    public var description: String {
        func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        var lines = ["ONNX model \(path)" + (producer.isEmpty ? "" : " (from \(producer))")]
        lines.append("operator sets: " + opsetImports.map(\.description).joined(separator: ", "))
        lines.append("inputs:")
        lines += inputs.map { "  \($0)" }
        lines.append("outputs:")
        lines += outputs.map { "  \($0)" }
        lines.append("parameters: \(parameterCount)")
        lines.append("operators: " + operatorCounts.map { "\($0.opType) \($0.count)" }.joined(separator: ", "))
        let fed = inputShapes.sorted { $0.key < $1.key }.map { "\($0.key) \(shape($0.value))" }.joined(separator: ", ")
        lines.append("layers (usable as --layer, shapes for \(fed)):")
        lines += layers.map { layer in
            let layout = layer.layout == .channelsFirst ? "" : " \(layer.layout.rawValue)"
            return "  \(layer.name)  \(layer.opType)  \(shape(layer.shape))\(layout)" + (layer.module.isEmpty ? "" : "  (\(layer.module))")
        }
        return lines.joined(separator: "\n")
    }
}
