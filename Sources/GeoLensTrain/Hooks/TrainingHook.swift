public import GeoLensTensor

/// What a hook sees after a training batch's forward pass, before the backward pass.
public struct BatchOutcome {
    public let epoch: Int
    /// 0-based batch index within the epoch.
    public let batch: Int
    /// `[N, C, H, W]` logits on the tape: an auxiliary loss computed from them gets gradients.
    public let logits: Tensor
    public let labels: [Int32]
    /// The main loss, on the tape.
    public let loss: Tensor
}

/// One epoch's numbers, one row of the history.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainEntropy: Double?
    public var validationLoss: Double?
    public var validationMIoU: Double?
    public var validationAccuracy: Double?
    public var validationEntropy: Double?
    /// Macro F1 of the validation tiles (tile tasks; `f1_macro` of eval's `metrics.json`).
    public var validationF1Macro: Double?
    public var learningRate: Double
    public var tilesPerSecond: Double
    /// The folder of this epoch's attribution snapshots, relative to the run directory (nil: none taken).
    public var snapshots: String?

    enum CodingKeys: String, CodingKey {
        case epoch, snapshots, learningRate = "lr", tilesPerSecond = "tiles_per_second"
        case trainLoss = "train_loss", trainEntropy = "train_entropy", validationLoss = "val_loss"
        case validationMIoU = "val_miou", validationAccuracy = "val_accuracy", validationEntropy = "val_entropy"
        case validationF1Macro = "val_f1_macro"
    }

    /// The value of a monitored quantity by its history name (`val_loss`, `val_miou`, ...).
    public func value(of name: String) -> Double? {
        switch name {
        case "train_loss": trainLoss
        case "train_entropy": trainEntropy
        case "val_loss": validationLoss
        case "val_miou": validationMIoU
        case "val_accuracy": validationAccuracy
        case "val_entropy": validationEntropy
        case "val_f1_macro": validationF1Macro
        default: nil
        }
    }

    public static let monitorNames = ["train_loss", "train_entropy", "val_loss", "val_miou", "val_accuracy", "val_entropy",
                                      "val_f1_macro"]
}

/// A feature attached to the training loop. The loop never changes; hooks add behaviour.
/// All methods have empty defaults.
public protocol TrainingHook: AnyObject {
    func onTrainStart(_ run: TrainingRun) throws
    /// May return an auxiliary scalar loss (on the tape) added to the total before the backward pass.
    func onBatchEnd(_ batch: BatchOutcome, run: TrainingRun) -> Tensor?
    /// Called after validation with the finished record (hooks may fill fields of it).
    func onValidationEnd(_ record: inout EpochRecord, run: TrainingRun) throws
    /// Called when the epoch's record is final (after every hook's `onValidationEnd`).
    func onEpochEnd(_ record: EpochRecord, run: TrainingRun) throws
    func onTrainEnd(_ run: TrainingRun) throws
    /// State to save with the last checkpoint so that a resumed run continues identically.
    var resumeState: [String: Double] { get }
    func restore(_ state: [String: Double])
}

extension TrainingHook {
    public func onTrainStart(_ run: TrainingRun) throws {}
    public func onBatchEnd(_ batch: BatchOutcome, run: TrainingRun) -> Tensor? { nil }
    public func onValidationEnd(_ record: inout EpochRecord, run: TrainingRun) throws {}
    public func onEpochEnd(_ record: EpochRecord, run: TrainingRun) throws {}
    public func onTrainEnd(_ run: TrainingRun) throws {}
    public var resumeState: [String: Double] { [:] }
    public func restore(_ state: [String: Double]) {}
}
