import GeoLensNN
import GeoLensTensor

/// Runs a loaded model the way every command must: card normalization, evaluation mode,
/// no tape, and class probabilities out (softmax of logits unless the card says the model
/// already outputs probabilities).
struct ModelRunner: @unchecked Sendable {
    let loaded: LoadedModel
    let normalization: InputNormalization

    init(_ loaded: LoadedModel) {
        self.loaded = loaded
        self.normalization = InputNormalization(card: loaded.card, channels: loaded.model.inChannels)
    }

    var classCount: Int { loaded.model.classCount }
    var outputIsProbabilities: Bool { loaded.card.output == .probabilities }

    /// Checks a batch of scaled band values `[N, C, H, W]` fits the model, naming the source.
    func checkInput(_ batch: Tensor, source: String) throws {
        let channels = batch.shape[1]
        guard channels == loaded.model.inChannels else {
            throw Failure.runtime("\(source): the model expects \(loaded.model.inChannels) input channels but "
                                  + "\(channels) bands are selected; set 'bands' in the model card \(loaded.card.bands.map { "(now \($0))" } ?? "")")
        }
    }

    /// Raw model output for scaled band values `[N, C, H, W]`.
    func output(_ batch: Tensor, mode: ForwardContext.Mode = .evaluation, seed: UInt64 = 0) -> Tensor {
        var x = batch.detached()
        normalization.apply(to: &x)
        return GradientMode.withoutRecording {
            loaded.model.inferenceForward(x, context: ForwardContext(mode: mode, seed: seed))
        }
    }

    /// Class probabilities `[N, classes, H, W]`.
    func probabilities(_ batch: Tensor) -> Tensor {
        let y = output(batch)
        return outputIsProbabilities ? y : y.softmax(alongAxis: 1)
    }
}
