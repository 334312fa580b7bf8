public import Foundation
import GeoLensTensor

/// A model ready for inference, with the facts reports and outputs need about it.
public struct LoadedModel: Sendable {
    public let model: any SegmentationModel
    public let card: ModelCard
    public let checkpoint: URL
    /// `safetensors`, `pytorch` (zip `.pth`/`.pt`/`.ckpt`) or `onnx`.
    public let format: String
    /// How checkpoint keys were matched to the model's parameters.
    public let keyReport: StateDictMatch?

    public var classNames: [String] { card.classNames(count: model.classCount) }
}

/// Opens a checkpoint and its model card and builds the model they describe.
public enum ModelLoader {
    /// The sidecar of `checkpoint`: `M.json` beside `M` (e.g. `model.safetensors.json`),
    /// else the same name with `.json` in place of the extension (`model.json`).
    public static func sidecar(for checkpoint: URL) -> URL? {
        let candidates = [checkpoint.appendingPathExtension("json"),
                          checkpoint.deletingPathExtension().appendingPathExtension("json")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) && $0 != checkpoint }
    }

    /// Loads a built-in architecture's weights from safetensors or a PyTorch zip checkpoint,
    /// folds batch norms for inference, and checks the card against the model.
    public static func load(checkpoint: URL, card explicitCard: URL? = nil, seed: UInt64 = 0) throws -> LoadedModel {
        guard FileManager.default.fileExists(atPath: checkpoint.path) else {
            throw ModelCardError(message: "checkpoint \(checkpoint.path) does not exist")
        }
        let isONNX = checkpoint.pathExtension.lowercased() == "onnx"
        let cardURL = explicitCard ?? sidecar(for: checkpoint)
        if isONNX {
            let card = try cardURL.map(ModelCard.load(from:)) ?? ModelCard(architecture: "onnx")
            return try loadONNX(checkpoint: checkpoint, card: card, cardURL: cardURL)
        }
        guard let cardURL else {
            throw ModelCardError(message: "no model card for \(checkpoint.path): write \(checkpoint.lastPathComponent).json "
                                 + "beside it (keys: architecture, in_channels, classes, ...) or pass --model-card")
        }
        let card = try ModelCard.load(from: cardURL)
        if card.architecture == "onnx" {
            return try loadONNX(checkpoint: checkpoint, card: card, cardURL: cardURL)
        }
        let model = try ModelRegistry.build(card, seed: seed)
        let stateDict = try CheckpointReader.read(checkpoint)
        let rules = try card.rename.map { rule throws(CheckpointError) in
            rule.regex ? try KeyRenameRule(regex: rule.from, replacement: rule.to)
                : KeyRenameRule(prefix: rule.from, replacement: rule.to)
        }
        let report = try model.load(stateDict, renameRules: rules, ignoring: model.ignoredCheckpointKeyPrefixes,
                                    allowPartial: card.allowPartialLoad, file: checkpoint)
        if let classes = card.classes, classes.count != model.classCount {
            throw ModelCardError(message: "\(cardURL.path): 'classes' names \(classes.count) classes but the model has \(model.classCount) outputs")
        }
        try checkTask(of: model, card: card, cardName: cardURL.path, checkpoint: checkpoint)
        model.foldBatchNorms()
        let format: String = switch stateDict.format {
        case .safetensors: "safetensors"
        case .pytorch, .lightning: "pytorch"
        case .memory: "memory"
        }
        return LoadedModel(model: model, card: card, checkpoint: checkpoint, format: format, keyReport: report)
    }
}
