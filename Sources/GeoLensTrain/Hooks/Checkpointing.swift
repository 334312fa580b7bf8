import Foundation
import GeoLensNN
import GeoLensPipeline
import GeoLensTensor

/// What `<name>.meta.json` beside a checkpoint holds.
struct CheckpointMetadata: Codable {
    var epoch: Int
    var step: Int
    var monitor: String
    var monitoredValue: Double?
    var dataHash: String
    var configuration: TrainingConfiguration
    var history: [EpochRecord]
    /// Per hook (by type name), the state it needs to resume.
    var hookStates: [String: [String: Double]]

    enum CodingKeys: String, CodingKey {
        case epoch, step, monitor, history, configuration = "config"
        case monitoredValue = "monitored_value", dataHash = "data_hash", hookStates = "hook_states"
    }
}

/// Writes the last checkpoint every epoch (model, optimizer state, metadata: what `--resume`
/// needs) and the best checkpoint when the monitored value improves. Each checkpoint is
/// `<name>.safetensors` + `<name>.json` (model card, so `eval`/`predict`/`explain` load it
/// directly) + `<name>.item.json` (the same card as a STAC MLM 1.5 item) + `<name>.meta.json`,
/// replaced together (`CheckpointFileSet`). Attach it after the other hooks.
public final class Checkpointing: TrainingHook {
    public let monitor: String
    public let mode: MonitorMode
    public private(set) var best: Double?

    public init(monitor: String, mode: MonitorMode) {
        self.monitor = monitor
        self.mode = mode
    }

    public func onEpochEnd(_ record: EpochRecord, run: TrainingRun) throws {
        let value = record.value(of: monitor)
        if let value, mode.isImprovement(value, over: best, minDelta: 0) {
            best = value
            try write("best", value: value, run: run, optimizer: false)
        }
        try write("last", value: value, run: run, optimizer: true)
    }

    public var resumeState: [String: Double] { best.map { ["best": $0] } ?? [:] }
    public func restore(_ state: [String: Double]) { best = state["best"] }

    /// Writes the checkpoint `name` as one unit (`CheckpointFileSet`): a kill at any moment leaves
    /// either the previous checkpoint or this one, never a mix of epochs.
    private func write(_ name: String, value: Double?, run: TrainingRun, optimizer: Bool) throws {
        let files = CheckpointFileSet(directory: run.directory, name: name)
        try files.beginStaging()
        let stateDict = run.model.stateDict()
        try SafetensorsWriter.write(stateDict, metadata: ["format": "pt", "epoch": String(run.epoch)],
                                    to: files.staged(".safetensors"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try RunFiles.write(try encoder.encode(run.card), to: files.staged(".json"))
        // A STAC MLM item has one input: written for cards fed by the tile alone (or its stacked bands).
        if run.card.stackedImageCard != nil {
        let item = try STACExport.item(card: run.card, checkpoint: files.live(".safetensors"), itemURL: files.live(".item.json"),
                                       format: "safetensors", inputChannels: run.model.inChannels,
                                       classCount: run.model.classCount, parameterCount: run.model.parameterCount,
                                       bandNames: run.bandNames, checkpointFile: files.staged(".safetensors"),
                                       title: "\(run.directory.lastPathComponent) \(name) epoch \(run.epoch + 1)")
        try RunFiles.write(item, to: files.staged(".item.json"))
        }
        if optimizer {
            var moments = StateDict()
            let (tensors, steps) = run.optimizer.exportState()
            for (key, tensor) in tensors.sorted(by: { $0.key < $1.key }) { moments[key] = .float(tensor) }
            try SafetensorsWriter.write(moments, metadata: ["steps": String(steps)],
                                        to: files.staged(".optimizer.safetensors"))
        }
        var states: [String: [String: Double]] = [:]
        for hook in run.hooks { states[String(describing: type(of: hook))] = hook.resumeState }
        if optimizer { states[String(describing: Checkpointing.self)] = resumeState }
        let meta = CheckpointMetadata(epoch: run.epoch, step: run.step, monitor: monitor, monitoredValue: value,
                                      dataHash: run.dataHash, configuration: run.configuration,
                                      history: run.history, hookStates: states)
        try RunFiles.write(try encoder.encode(meta), to: files.staged(CheckpointFileSet.metadataSuffix))
        try files.commit()
    }
}
