public import Foundation
public import GeoLensNN
import GeoLensEval

/// The state of a run that hooks may read and steer: model, card, folder, history, stop flag.
public final class TrainingRun {
    public let configuration: TrainingConfiguration
    public let model: any SegmentationModel
    /// The card written with checkpoints: the configured model with the training split's mean/std.
    public let card: ModelCard
    public let directory: URL
    public let optimizer: any Optimizer
    public internal(set) var hooks: [any TrainingHook] = []
    public internal(set) var history: [EpochRecord] = []
    /// The epoch being run (0-based) and the number of optimizer updates so far.
    public internal(set) var epoch = 0
    public internal(set) var step = 0
    /// A fingerprint of the tiles and split the run trains on (stored in checkpoint metadata).
    public let dataHash: String
    /// Set by a hook (e.g. early stopping) to end training after the current epoch.
    public var stopRequested = false
    /// The fed bands' descriptions in the training rasters (the STAC items' band names), when
    /// every one is set and unique.
    public internal(set) var bandNames: [String]?
    let notes: (String) -> Void

    init(configuration: TrainingConfiguration, model: any SegmentationModel, card: ModelCard, directory: URL,
         optimizer: any Optimizer, dataHash: String, notes: @escaping (String) -> Void) {
        self.configuration = configuration
        self.model = model
        self.card = card
        self.directory = directory
        self.optimizer = optimizer
        self.dataHash = dataHash
        self.notes = notes
    }

    /// Reports a message (stderr in the command-line tool).
    public func note(_ message: String) { notes(message) }

    /// Writes `history.json` and `history.csv` atomically.
    func writeHistory() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try RunFiles.write(try encoder.encode(history), to: directory.appendingPathComponent("history.json"))
        func cell(_ v: Double?) -> String { v.map { String($0) } ?? "" }
        var csv = "epoch,train_loss,train_entropy,val_loss,val_miou,val_accuracy,val_entropy,val_f1_macro,lr,tiles_per_second,snapshots\n"
        for r in history {
            csv += "\(r.epoch),\(r.trainLoss),\(cell(r.trainEntropy)),\(cell(r.validationLoss)),\(cell(r.validationMIoU)),"
                + "\(cell(r.validationAccuracy)),\(cell(r.validationEntropy)),\(cell(r.validationF1Macro)),\(r.learningRate),\(r.tilesPerSecond),"
                + "\(r.snapshots ?? "")\n"
        }
        try RunFiles.write(Data(csv.utf8), to: directory.appendingPathComponent("history.csv"))
    }
}

/// Run-directory naming and atomic writes.
public enum RunFiles {
    /// Writes `data` to a temporary file beside `url`, then renames it over `url`.
    static func write(_ data: Data, to url: URL) throws {
        try AtomicFile.write(data, to: url)
    }

    /// Removes the hidden temporary files (`.<name>...tmp`, `.<name>.tmp-...`, and Foundation's
    /// `.dat.nosync...` from `Data.write(options: .atomic)`) that atomic writes
    /// of a killed process left in `directory`; finished files are never touched.
    static func removeInterruptedWrites(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(".") && (name.hasSuffix(".tmp") || name.contains(".tmp-") || name.hasPrefix(".dat.nosync")) {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    /// `<root>/<architecture>-<loss>-<yyyyMMdd>`, with `-2`, `-3`, ... when taken.
    public static func newRunDirectory(root: URL, configuration: TrainingConfiguration, date: Date = Date()) -> URL {
        let base = baseName(configuration, date: date)
        var candidate = root.appendingPathComponent(base)
        var suffix = 2
        while FileManager.default.fileExists(atPath: candidate.path) {
            candidate = root.appendingPathComponent("\(base)-\(suffix)")
            suffix += 1
        }
        return candidate
    }

    /// The most recently modified run directory of this configuration that holds a last checkpoint.
    public static func latestResumable(root: URL, configuration: TrainingConfiguration) -> URL? {
        let prefix = "\(configuration.model.architecture)-\(configuration.loss.name)-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let runs = names.filter { $0.hasPrefix(prefix) }.map { root.appendingPathComponent($0) }
            .filter { CheckpointFileSet(directory: $0, name: "last").isResumable }
        return runs.max { modified($0) < modified($1) }
    }

    static func baseName(_ configuration: TrainingConfiguration, date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "\(configuration.model.architecture)-\(configuration.loss.name)-\(formatter.string(from: date))"
    }

    private static func modified(_ url: URL) -> Date {
        let files = CheckpointFileSet(directory: url, name: "last")
        let dates = [files.live(CheckpointFileSet.metadataSuffix), files.staged(CheckpointFileSet.metadataSuffix)].compactMap {
            (try? FileManager.default.attributesOfItem(atPath: $0.path))?[.modificationDate] as? Date
        }
        return dates.max() ?? .distantPast
    }
}
