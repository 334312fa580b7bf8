public import GeoLensTensor

/// A network imported from ONNX, usable wherever a built-in architecture is: evaluation,
/// prediction and explanation.
///
/// The graph must have one image input `[N, C, H, W]` and its first output must be the class
/// scores: `[N, classes, H, W]` for a segmentation network, or `[N, classes]` for a classifier
/// of any architecture (`outputLayout`; the model card's `task` says which is expected). Batch
/// and spatial sizes may be symbolic; every distinct input shape gets its own execution plan,
/// made once (see `ONNXExecutor`).
///
/// Capture keys in `ForwardContext.captures` are ONNX tensor names, as listed by
/// `geolens inspect model.onnx` (`camLayers`).
public final class ONNXSegmentationModel: MultiInputModel {
    public let executor: ONNXExecutor
    /// The graph input of a single-input graph, else the first input of `inputLayout`.
    public let inputName: String
    /// The graph's inputs, in the model card's order (`inputs`), or its one image input.
    public let inputLayout: ModelInputLayout
    public let outputName: String
    public let inChannels: Int
    public let classCount: Int
    /// `[N, K, H, W]` or `[N, K]` scores, from the output's shape.
    public let outputLayout: ModelOutputLayout
    /// The input's fixed height and width, when the graph declares them (no dynamic axes).
    public let fixedInputSize: (height: Int?, width: Int?)
    /// Intermediate tensors usable as explanation layers, in graph order (`ONNXInspection.layers`):
    /// 4-D feature maps and, in transformer encoders, token tensors.
    public let camLayers: [String]
    /// The layout of each layer that is not channels-first.
    let layouts: [String: FeatureLayout]
    /// Tensor names by PyTorch module path (the last layer of each module scope), for `--layer`.
    let moduleLayers: [String: String]
    /// The deepest encoder feature map; see `deepestEncoderLayer(_:)`.
    public let defaultCAMLayer: String

    /// Wraps `model`. `inChannels` is needed only when the graph leaves the channel axis symbolic.
    /// - Throws: `ONNXError` when the graph does not have one 4-D image input and 4-D or 2-D scores.
    public convenience init(model: ONNXModel, inChannels declaredChannels: Int? = nil, inputs layout: ModelInputLayout? = nil) throws {
        if let layout {
            try self.init(model: model, layout: layout)
        } else {
            try self.init(singleInput: model, inChannels: declaredChannels)
        }
    }

    /// A graph with one image input.
    private init(singleInput model: ONNXModel, inChannels declaredChannels: Int?) throws {
        let file = model.url.lastPathComponent
        guard model.graph.inputs.count == 1, let input = model.graph.inputs.first, let output = model.graph.outputs.first else {
            throw ONNXError(.inputShape, "'\(file)' has \(model.graph.inputs.count) inputs and \(model.graph.outputs.count) outputs; "
                + "GeoLens runs segmentation graphs with one image input and the class logits as first output")
        }
        guard let dims = input.shape, dims.count == 4, let channels = dims[1].value ?? declaredChannels else {
            throw ONNXError(.inputShape, "input '\(input.name)' of '\(file)' has shape \(input); GeoLens needs an "
                + "N x C x H x W input with a fixed channel count (or in_channels in the model card)")
        }
        let inspection = try ONNXInspection(model: model, inputShapes: [input.name: [
            1, channels, dims[2].value ?? ONNXInspection.defaultSpatialExtent, dims[3].value ?? ONNXInspection.defaultSpatialExtent,
        ]])
        let plan = try model.plan(for: inspection.inputShapes)
        guard let logits = plan.tensorShapes[output.name], logits.count == 4 || logits.count == 2 else {
            throw ONNXError(.inputShape, "output '\(output.name)' of '\(file)' has shape \(plan.tensorShapes[output.name] ?? []) "
                + "for input \(inspection.inputShapes[input.name] ?? []); GeoLens needs N x classes x H x W scores "
                + "(segmentation) or N x classes scores (classification, multilabel)")
        }
        executor = ONNXExecutor(model: model)
        inputName = input.name
        inputLayout = .single(name: input.name, channels: channels)
        outputName = output.name
        inChannels = channels
        fixedInputSize = (dims[2].value, dims[3].value)
        classCount = logits[1]
        let layout: ModelOutputLayout = logits.count == 4 ? .pixelScores : .tileScores
        outputLayout = layout
        (camLayers, layouts, moduleLayers, defaultCAMLayer) = Self.layerIndex(inspection, output: layout, outputName: output.name)
    }

    /// A graph with the named inputs of a multi-input card: every graph input is an entry of
    /// `layout` and the other way round; raster inputs are `[N, c, H, W]`, scalar inputs `[N, k]`.
    private init(model: ONNXModel, layout: ModelInputLayout) throws {
        let file = model.url.lastPathComponent
        let graphInputs = Dictionary(model.graph.inputs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = model.graph.inputs.map(\.name)
        if let missing = layout.entries.first(where: { graphInputs[$0.name] == nil }) {
            throw ONNXError(.inputShape, "the model card's input '\(missing.name)' is not an input of '\(file)', whose inputs are "
                + "\(names.joined(separator: ", ")); name the card's inputs after the graph's")
        }
        if let extra = names.first(where: { layout.entry(named: $0) == nil }) {
            throw ONNXError(.inputShape, "'\(file)' has input '\(extra)', which the model card's 'inputs' do not feed")
        }
        guard let output = model.graph.outputs.first, let first = layout.entries.first(where: { !$0.isScalar }) else {
            throw ONNXError(.inputShape, "'\(file)' has no output, or the card feeds it no raster input")
        }
        var shapes: [String: [Int]] = [:]
        var fixed: (Int?, Int?) = (nil, nil)
        for entry in layout.entries {
            let dims = graphInputs[entry.name]!.shape ?? []
            let expected = entry.isScalar ? 2 : 4
            guard dims.count == expected, dims[1].value.map({ $0 == entry.channels.count }) ?? true else {
                throw ONNXError(.inputShape, "input '\(entry.name)' of '\(file)' has shape \(graphInputs[entry.name]!); the model card feeds "
                    + (entry.isScalar ? "N x \(entry.channels.count) scalars" : "N x \(entry.channels.count) x H x W bands"))
            }
            if entry.isScalar {
                shapes[entry.name] = [1, entry.channels.count]
            } else {
                if entry.name == first.name { fixed = (dims[2].value, dims[3].value) }
                shapes[entry.name] = [1, entry.channels.count, dims[2].value ?? ONNXInspection.defaultSpatialExtent,
                                      dims[3].value ?? ONNXInspection.defaultSpatialExtent]
            }
        }
        let inspection = try ONNXInspection(model: model, inputShapes: shapes)
        let plan = try model.plan(for: inspection.inputShapes)
        guard let logits = plan.tensorShapes[output.name], logits.count == 4 || logits.count == 2 else {
            throw ONNXError(.inputShape, "output '\(output.name)' of '\(file)' has shape \(plan.tensorShapes[output.name] ?? []); "
                + "GeoLens needs N x classes x H x W scores (segmentation) or N x classes scores (classification, multilabel)")
        }
        executor = ONNXExecutor(model: model)
        inputName = first.name
        inputLayout = layout
        outputName = output.name
        inChannels = layout.channelCount
        fixedInputSize = fixed
        classCount = logits[1]
        let outputLayout: ModelOutputLayout = logits.count == 4 ? .pixelScores : .tileScores
        self.outputLayout = outputLayout
        (camLayers, layouts, moduleLayers, defaultCAMLayer) = Self.layerIndex(inspection, output: outputLayout, outputName: output.name)
    }

    /// What the explainers look up in a graph's layers: their names, the non-NCHW layouts, each
    /// module scope's last layer and the default CAM layer.
    private static func layerIndex(_ inspection: ONNXInspection, output: ModelOutputLayout, outputName: String)
        -> (names: [String], layouts: [String: FeatureLayout], modules: [String: String], defaultCAMLayer: String) {
        let layouts = Dictionary(inspection.layers.filter { $0.layout != .channelsFirst }.map { ($0.name, $0.layout) },
                                 uniquingKeysWith: { a, _ in a })
        var modules: [String: String] = [:]
        for layer in inspection.layers where !layer.module.isEmpty {
            // Every enclosing scope too: `encoder.blocks.2` names the last layer of that block.
            let parts = layer.module.split(separator: ".")
            for end in 1...parts.count { modules[parts[..<end].joined(separator: ".")] = layer.name }
        }
        // A classifier's 1 x 1 maps (squeeze-excitation gates, pooled heads) are no place for a CAM.
        let candidates = output == .tileScores
            ? inspection.layers.filter { $0.shape.count != 4 || $0.shape[2] * $0.shape[3] > 1 } : inspection.layers
        let defaultLayer = deepestEncoderLayer(candidates) ?? inspection.layers.last?.name ?? outputName
        return (inspection.layers.map(\.name), layouts, modules, defaultLayer)
    }

    /// The default explanation layer, by a heuristic on the layer list in graph order: the
    /// encoder ends where the decoder first upsamples (the first Resize, Upsample or
    /// ConvTranspose). A transformer encoder's default is its last token layer before that (the
    /// final norm of a ViT or Swin, the last stage's norm of a SegFormer). Otherwise, among the
    /// layers before the first upsampling, take those with the lowest spatial resolution and
    /// return the last one that is a block output (an activation, Add or Concat) rather than a
    /// bare convolution, else the last one. For smp U-Net, U-Net++ and FPN this is the output of
    /// the encoder's last stage; for DeepLabV3+ it is the ASPP output.
    public static func deepestEncoderLayer(_ layers: [ONNXInspection.Layer]) -> String? {
        let upsampling: Set<String> = ["Resize", "Upsample", "ConvTranspose"]
        let encoder = layers.prefix { !upsampling.contains($0.opType) }
        if let tokens = encoder.last(where: { $0.layout != .channelsFirst }) { return tokens.name }
        guard let smallest = encoder.map(\.positions).min() else { return nil }
        let deepest = encoder.filter { $0.positions == smallest }
        return (deepest.last { !$0.opType.hasPrefix("Conv") } ?? deepest.last)?.name
    }

    /// Token layouts for transformer layers, channels-first otherwise.
    public func featureLayout(ofLayer layer: String) -> FeatureLayout {
        layouts[layer] ?? .channelsFirst
    }

    /// A tensor name as it is, or the tensor a PyTorch module path (`encoder.blocks.2.norm1`) names.
    public func resolvedLayer(_ layer: String) -> String {
        camLayers.contains(layer) ? layer : moduleLayers[layer] ?? layer
    }

    /// Runs the graph and returns the class scores.
    /// - Throws: `ONNXError` when `x` does not fit the graph (wrong channel count, too small).
    public func logits(_ x: Tensor, context: ForwardContext? = nil) throws -> Tensor {
        guard x.shape.count == 4, x.shape[1] == inChannels else {
            throw ONNXError(.inputShape, "'\(executor.model.url.lastPathComponent)' takes N x \(inChannels) x H x W input, got \(x.shape)")
        }
        if inputLayout.entries.count == 1 { return try executor.run([inputName: x], context: context)[0] }
        return try executor.run(inputLayout.unpack(x), context: context)[0]
    }

    /// Runs the graph on named inputs (raster `[N, c, H, W]`, scalar `[N, k]`, normalized).
    public func forward(inputs: [String: Tensor], context: ForwardContext) -> Tensor {
        do {
            return try executor.run(inputs, context: context)[0]
        } catch {
            preconditionFailure("ONNXSegmentationModel: \(error)")
        }
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        do {
            return try logits(x, context: context)
        } catch {
            preconditionFailure("ONNXSegmentationModel: \(error)")
        }
    }
}
