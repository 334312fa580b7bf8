import Foundation

extension ModelLoader {
    /// Loads an ONNX graph as an `ONNXSegmentationModel`. The card is optional for ONNX (classes
    /// then default to `class_0`, ..., the task to segmentation); when it gives `in_channels`,
    /// `classes` or `task` they are checked against the graph's input and output shapes.
    static func loadONNX(checkpoint: URL, card: ModelCard, cardURL: URL?) throws -> LoadedModel {
        let cardName = cardURL?.path ?? "the model card"
        guard card.architecture == "onnx" else {
            throw ModelCardError(message: "\(cardName): architecture is '\(card.architecture)' but \(checkpoint.path) is an ONNX graph; "
                                 + "set \"architecture\": \"onnx\" or point at a safetensors/PyTorch checkpoint")
        }
        let graph = try ONNXModel.load(checkpoint)
        // Raster inputs without `bands` take every band the graph input declares.
        var declared: [String: Int] = [:]
        for input in graph.graph.inputs { if let dims = input.shape, dims.count == 4, let c = dims[1].value { declared[input.name] = c } }
        let card = card.resolvingInputs(declared)
        try card.requireResolvedInputs(for: "\(checkpoint.lastPathComponent), whose input leaves the channel count open,")
        try card.validate()
        let model = try ONNXSegmentationModel(model: graph, inChannels: card.inChannels ?? card.bands?.count,
                                              inputs: card.inputLayout)
        if let declared = card.inChannels ?? card.bands?.count ?? card.inputLayout?.channelCount, declared != model.inChannels {
            throw ModelCardError(message: "\(cardName): in_channels is \(declared) but input '\(model.inputName)' of "
                                 + "\(checkpoint.lastPathComponent) takes \(model.inChannels) channels; fix the card")
        }
        if let classes = card.classes, classes.count != model.classCount {
            throw ModelCardError(message: "\(cardName): 'classes' names \(classes.count) classes but output '\(model.outputName)' of "
                                 + "\(checkpoint.lastPathComponent) has \(model.classCount); fix the card")
        }
        try checkTask(of: model, card: card, cardName: cardName, checkpoint: checkpoint)
        return LoadedModel(model: model, card: card, checkpoint: checkpoint, format: "onnx", keyReport: nil)
    }
}
