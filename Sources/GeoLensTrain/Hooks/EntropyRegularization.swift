public import GeoLensTensor

/// Adds `-lambda * mean softmax entropy` of each training batch to the loss: with lambda > 0
/// training is penalized for over-confident predictions (a confidence penalty).
public final class EntropyRegularization: TrainingHook {
    public let lambda: Float

    public init(lambda: Float) { self.lambda = lambda }

    public func onBatchEnd(_ batch: BatchOutcome, run: TrainingRun) -> Tensor? {
        auxiliaryLoss(logits: batch.logits)
    }

    /// The term added to the loss: `-lambda * mean softmax entropy` of `logits`, on the tape.
    public func auxiliaryLoss(logits: Tensor) -> Tensor {
        SoftmaxEntropy.mean(of: logits) * -lambda
    }
}

/// Tracks the mean softmax entropy of training batches per epoch (validation entropy comes
/// from the evaluation accumulator) and writes it into the history row.
public final class UncertaintyTracking: TrainingHook {
    private var entropySum = 0.0
    private var batches = 0

    public init() {}

    public func onBatchEnd(_ batch: BatchOutcome, run: TrainingRun) -> Tensor? {
        let entropy = GradientMode.withoutRecording { SoftmaxEntropy.mean(of: batch.logits.detached()).scalar }
        entropySum += Double(entropy)
        batches += 1
        return nil
    }

    public func onValidationEnd(_ record: inout EpochRecord, run: TrainingRun) throws {
        record.trainEntropy = batches > 0 ? entropySum / Double(batches) : nil
        entropySum = 0
        batches = 0
    }
}
