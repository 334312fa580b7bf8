/// What GeoLens runs: default-domain operator sets 11 to 20 and a fixed list of operators, the
/// ones segmentation networks exported from PyTorch are made of: smp U-Net, U-Net++, FPN and
/// DeepLabV3+ with ResNet, MobileNet and EfficientNet encoders, and transformer encoders (smp
/// SegFormer, timm ViT and Swin) with their LayerNormalization, GELU, attention products,
/// relative-position tables and window masks.
///
/// Checking happens at load so that a model fails before any tile is read, with one error that
/// lists every unsupported operator type and the nodes using it.
public enum ONNXOperatorSupport {
    /// The default-domain operator set versions GeoLens accepts.
    public static let opsetVersions: ClosedRange<Int> = 11...20

    /// Operator types GeoLens runs (in the default domain).
    ///
    /// `Ceil` is included because the TorchScript exporter writes it in the integer subgraph that
    /// computes TensorFlow-style dynamic "same" padding (timm `tf_` EfficientNets); it is folded
    /// into constants when an execution plan is made.
    public static let supportedOperators: Set<String> = [
        "Conv", "ConvTranspose", "BatchNormalization", "InstanceNormalization",
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Clip",
        "Mul", "Add", "Sub", "Div", "Pow", "Sqrt", "Exp", "Erf", "Ceil",
        "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean", "Resize", "Upsample",
        "Concat", "Split", "Slice", "Pad", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze",
        "Gather", "Shape", "Cast", "Constant", "ConstantOfShape", "Identity", "Softmax",
        "MatMul", "Gemm", "Dropout", "Where", "Equal", "Range", "Expand",
        // Transformer encoders.
        "LayerNormalization", "Gelu", "Einsum", "ReduceSum", "ReduceMax", "ReduceMin", "CumSum", "Tile", "Trilu",
        "GatherElements", "ScatterND", "Mod", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor",
        "Not", "Max", "Min", "Neg", "Abs", "Reciprocal", "Log",
    ]

    /// Throws one error describing everything about `model` that GeoLens cannot run.
    public static func validate(_ model: ONNXModel) throws {
        let defaultImports = model.opsetImports.filter { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        guard let opset = defaultImports.first?.version else {
            throw ONNXError(.unsupportedOpset, "'\(model.url.path)' imports no default ONNX operator set (imports: "
                + "\(model.opsetImports.map(\.description).joined(separator: ", "))); "
                + "export it with opset_version between \(opsetVersions.lowerBound) and \(opsetVersions.upperBound)")
        }
        guard opsetVersions.contains(opset) else {
            throw ONNXError(.unsupportedOpset, "'\(model.url.path)' uses ONNX operator set \(opset); "
                + "GeoLens runs operator sets \(opsetVersions.lowerBound) to \(opsetVersions.upperBound): "
                + "export the model again with opset_version=17 (torch.onnx.export) or convert it with onnx.version_converter")
        }
        let foreign = model.graph.nodes.filter { !$0.isDefaultDomain }
        if !foreign.isEmpty {
            let listed = grouped(foreign) { "\($0.domain)::\($0.opType)" }
            throw ONNXError(.unsupportedOpset, "'\(model.url.path)' uses operators outside the default ONNX domain, "
                + "which GeoLens does not run: \(listed); export without custom operators")
        }
        let unsupported = model.graph.nodes.filter { !supportedOperators.contains($0.opType) }
        if !unsupported.isEmpty {
            let types = Set(unsupported.map(\.opType)).count
            throw ONNXError(.unsupportedOperators, "'\(model.url.path)' uses \(types) operator type\(types == 1 ? "" : "s") GeoLens does not run: \(grouped(unsupported, by: \.opType)); export a model without them or replace those layers")
        }
    }

    /// "Type (node, node); Type (node)" in order of first use.
    private static func grouped(_ nodes: [ONNXNode], by key: (ONNXNode) -> String) -> String {
        var order: [String] = []
        var names: [String: [String]] = [:]
        for node in nodes {
            let k = key(node)
            if names[k] == nil { order.append(k) }
            names[k, default: []].append(node.name)
        }
        return order.map { "\($0) (\(names[$0]!.joined(separator: ", ")))" }.joined(separator: "; ")
    }
}
