/// Whether a monitored value is better when smaller or larger.
public enum MonitorMode: String, Codable, Sendable {
    case min, max

    func isImprovement(_ value: Double, over best: Double?, minDelta: Double) -> Bool {
        guard let best else { return true }
        return self == .min ? value < best - minDelta : value > best + minDelta
    }
}

/// Stops training when `monitor` has not improved by more than `minDelta` for `patience` epochs.
public final class EarlyStopping: TrainingHook {
    public let monitor: String
    public let mode: MonitorMode
    public let patience: Int
    public let minDelta: Double
    public private(set) var best: Double?
    public private(set) var epochsWithoutImprovement = 0

    public init(monitor: String, mode: MonitorMode, patience: Int, minDelta: Double = 0) {
        self.monitor = monitor
        self.mode = mode
        self.patience = patience
        self.minDelta = minDelta
    }

    public func onEpochEnd(_ record: EpochRecord, run: TrainingRun) throws {
        guard let value = record.value(of: monitor) else { return }
        if mode.isImprovement(value, over: best, minDelta: minDelta) {
            best = value
            epochsWithoutImprovement = 0
        } else {
            epochsWithoutImprovement += 1
            if epochsWithoutImprovement >= patience {
                run.stopRequested = true
                run.note("early stopping: \(monitor) has not improved for \(patience) epochs (best \(best ?? value))")
            }
        }
    }

    public var resumeState: [String: Double] {
        var state = ["epochs_without_improvement": Double(epochsWithoutImprovement)]
        if let best { state["best"] = best }
        return state
    }

    public func restore(_ state: [String: Double]) {
        best = state["best"]
        epochsWithoutImprovement = Int(state["epochs_without_improvement"] ?? 0)
    }
}
