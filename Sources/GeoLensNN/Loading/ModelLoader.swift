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
    /// The sidecar of `checkpoint`: the model card `M.json` beside `M` (e.g.
    /// `model.safetensors.json`), else the same name with `.json` in place of the extension
    /// (`model.json`); else a STAC MLM item `M.stac.json`, `M.item.json` (or with the extension
    /// replaced: `model.stac.json`, `model.item.json`).
    public static func sidecar(for checkpoint: URL) -> URL? {
        let stem = checkpoint.deletingPathExtension()
        let candidates = [checkpoint.appendingPathExtension("json"), stem.appendingPathExtension("json")]
            + ["stac.json", "item.json"].flatMap { [checkpoint.appendingPathExtension($0), stem.appendingPathExtension($0)] }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) && $0 != checkpoint }
    }

    /// The checkpoint and card that `path` and `card` name: a STAC MLM item given as the model
    /// stands for the checkpoint its `mlm:model` asset names, and is its card unless one is given.
    public static func resolve(checkpoint: URL, card: URL?) throws -> (checkpoint: URL, card: URL?) {
        guard checkpoint.pathExtension.lowercased() == "json",
              let data = try? Data(contentsOf: checkpoint), MLMItem.isItem(data) else { return (checkpoint, card) }
        let item = try MLMItem(data: data, url: checkpoint)
        return (try item.checkpointURL(), card ?? checkpoint)
    }

    /// Loads a built-in architecture's weights from safetensors or a PyTorch zip checkpoint,
    /// folds batch norms for inference, and checks the card against the model.
    public static func load(checkpoint given: URL, card givenCard: URL? = nil, seed: UInt64 = 0) throws -> LoadedModel {
        let (checkpoint, explicitCard) = try resolve(checkpoint: given, card: givenCard)
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
                                 + "beside it (keys: architecture, in_channels, classes, ...), a STAC MLM item "
                                 + "\(checkpoint.lastPathComponent).item.json, or pass --model-card")
        }
        let card = try ModelCard.load(from: cardURL)
        if card.architecture == "onnx" {
            return try loadONNX(checkpoint: checkpoint, card: card, cardURL: cardURL)
        }
        try card.requireResolvedInputs(for: "architecture '\(card.architecture)'")
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
