import Foundation
public import GeoLensGeo
public import GeoLensNN
public import GeoLensTensor

/// A checkpoint loaded with its model card, run the way every command must: the card's
/// normalization, evaluation mode, no tape, and class probabilities out (softmax of logits over
/// the class axis, or an independent sigmoid per class for a `multilabel` card, unless the card
/// says the model already outputs probabilities).
///
/// This is the one model-loading entry of GeoLens: eval, predict, explain and the reports
/// load checkpoints through `ModelSession.load`.
public struct ModelSession: @unchecked Sendable {
    public let loaded: LoadedModel
    public let normalization: InputNormalization

    public init(_ loaded: LoadedModel) {
        self.loaded = loaded
        self.normalization = InputNormalization(card: loaded.card, channels: loaded.model.inChannels)
    }

    /// Loads `checkpoint` (safetensors, PyTorch zip, ONNX) with `card` or the checkpoint's
    /// sidecar; every failure is one error naming the file.
    public static func load(checkpoint: String, card: String? = nil, seed: UInt64 = 0) throws(PipelineError) -> ModelSession {
        let loaded = try PipelineError.wrapping {
            try ModelLoader.load(checkpoint: URL(fileURLWithPath: checkpoint),
                                 card: card.map { URL(fileURLWithPath: $0) }, seed: seed)
        }
        return ModelSession(loaded)
    }

    public var model: any SegmentationModel { loaded.model }
    public var card: ModelCard { loaded.card }
    public var classNames: [String] { loaded.classNames }
    public var classCount: Int { loaded.model.classCount }
    public var inputChannels: Int { loaded.model.inChannels }
    public var outputIsProbabilities: Bool { loaded.card.output == .probabilities }
    /// What the model predicts (the card's `task`): segmentation, classification or multilabel.
    public var task: ModelTask { loaded.card.task }
    /// The label value excluded from metrics (the card's, else 255).
    public var ignoreIndex: Int { loaded.card.ignoreIndex ?? 255 }

    /// The checkpoint's identity as outputs record it.
    public func identity() throws(PipelineError) -> (path: String, sha256: String, format: String) {
        let url = loaded.checkpoint
        return (FileSystem.absolute(url.path), try SHA256.hexDigest(of: url), loaded.format)
    }

    /// Fails with a usage error naming the checkpoint when `command` cannot run the card's task
    /// (e.g. `predict` writes class rasters, which a tile classifier has none of).
    public func require(_ tasks: Set<ModelTask>, for command: String) throws(PipelineError) {
        guard tasks.contains(task) else {
            let allowed = ModelTask.allCases.filter(tasks.contains).map(\.rawValue).joined(separator: " or ")
            throw .usage("\(loaded.checkpoint.path): \(command) runs \(allowed) models but the model card's task is "
                         + "'\(task.rawValue)'\(task.scoresTiles ? "; score tiles with `geolens eval`" : "")")
        }
    }

    /// Checks that `channels` fed bands fit the model, naming the source file.
    public func checkChannels(_ channels: Int, source: String) throws(PipelineError) {
        guard channels == inputChannels else {
            throw .data("\(source): the model takes \(inputChannels) input channels but \(channels) bands are fed "
                        + "(the card's 'bands'\(card.bands.map { ", now \($0)" } ?? "") or the raster's band count); set 'bands' in the model card")
        }
    }

    /// Checks that a `height x width` input fits a model fixed to one input size (an ONNX graph
    /// exported without dynamic spatial axes), naming the source file and what to change.
    public func checkInputSize(height: Int, width: Int, source: String) throws(PipelineError) {
        let (fixedHeight, fixedWidth) = model.fixedInputSize
        if (fixedHeight.map { $0 != height } ?? false) || (fixedWidth.map { $0 != width } ?? false) {
            throw .data("\(source): \(loaded.checkpoint.lastPathComponent) takes \(fixedHeight.map(String.init) ?? "any") x "
                        + "\(fixedWidth.map(String.init) ?? "any") pixel inputs but this input is \(height) x \(width); use tiles of "
                        + "that size (predict: --tile) or export the model with dynamic height and width")
        }
    }

    /// Reads `file` from `source` per the card and checks that the stacked inputs fit the model
    /// (channel count, fixed input size), naming the tile: the one read of every tile run.
    public func read(_ file: TilePair, from source: SampleSource) throws(PipelineError) -> Sample {
        let sample = try source.read(file, card: card)
        try checkChannels(sample.stacked.shape[0], source: file.image)
        try checkInputSize(height: sample.height, width: sample.width, source: file.image)
        return sample
    }

    /// Scaled band values `[N, C, H, W]` (after `input_scale`/`input_offset`) normalized by the card.
    public func normalized(_ batch: Tensor) -> Tensor {
        var x = batch.detached()
        normalization.apply(to: &x)
        return x
    }

    /// Raw model output for scaled band values `[N, C, H, W]`.
    public func output(_ batch: Tensor, mode: ForwardContext.Mode = .evaluation, seed: UInt64 = 0) -> Tensor {
        let x = normalized(batch)
        return GradientMode.withoutRecording {
            loaded.model.inferenceForward(x, context: ForwardContext(mode: mode, seed: seed))
        }
    }

    /// Class probabilities of a raw model output: softmax over axis 1, or a sigmoid per class for
    /// `multilabel`.
    public func probabilities(fromOutput output: Tensor) -> Tensor {
        if outputIsProbabilities { return output }
        return task == .multilabel ? output.sigmoid() : output.softmax(alongAxis: 1)
    }

    /// Class probabilities of scaled band values: `[N, classes, H, W]` for segmentation,
    /// `[N, classes]` for tile tasks.
    public func probabilities(_ batch: Tensor) -> Tensor {
        probabilities(fromOutput: output(batch))
    }

    /// Class indices from names or indices, each checked against the model's classes.
    public func classIndices(_ requested: [String]) throws(PipelineError) -> [Int] {
        var indices: [Int] = []
        for text in requested {
            if let index = classNames.firstIndex(of: text) {
                indices.append(index)
            } else if let index = Int(text), classNames.indices.contains(index) {
                indices.append(index)
            } else {
                throw .usage("class '\(text)' is neither a class name (\(classNames.joined(separator: ", "))) nor an index below \(classNames.count)")
            }
        }
        return indices
    }
}
