public import Foundation

/// Writes TensorBoard event files into the run directory, so `tensorboard --logdir runs/` shows
/// every run: after each epoch (step = the 1-based epoch) the scalars of the history row
/// (`loss/train`, `loss/val`, `metrics/val_miou`, `metrics/val_accuracy`, `entropy/train`,
/// `entropy/val`, `learning_rate`, `throughput/tiles_per_second`) and, in epochs with attribution
/// snapshots, their labelled heatmap PNGs as images (`snapshots/<tile>_class-<class>`).
///
/// A resumed run starts a new event file with a `SessionLog` START at the first epoch it runs,
/// which tells TensorBoard to drop what the interrupted process logged from that epoch on.
/// Attach it after the other hooks, so it sees each epoch's final record and snapshot folder.
public final class TensorBoardLogging: TrainingHook {
    private var file: TensorBoardEventFile?
    /// The event files this hook wrote (one per process).
    public private(set) var files: [URL] = []

    public init() {}

    public func onTrainStart(_ run: TrainingRun) throws {
        let file = try TensorBoardEventFile(directory: run.directory)
        self.file = file
        files.append(file.url)
        if !run.history.isEmpty {
            try file.append([TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: Int64(run.history.count + 1),
                                              content: .sessionLog(status: 1, message: "resumed after epoch \(run.history.count)"))])
        }
    }

    public func onEpochEnd(_ record: EpochRecord, run: TrainingRun) throws {
        guard let file else { return }
        let final = run.history.last ?? record
        let step = Int64(final.epoch + 1)
        let now = Date().timeIntervalSince1970
        var events = [TensorBoardEvent(wallTime: now, step: step, content: .summary(Self.scalars(final)))]
        if let folder = final.snapshots {
            let images = try Self.images(in: run.directory.appendingPathComponent(folder))
            if !images.isEmpty { events.append(TensorBoardEvent(wallTime: now, step: step, content: .summary(images))) }
        }
        try file.append(events)
    }

    /// The scalar values of one history row (absent values are left out).
    static func scalars(_ record: EpochRecord) -> [(tag: String, value: TensorBoardEvent.Value)] {
        let values: [(String, Double?)] = [
            ("loss/train", record.trainLoss), ("loss/val", record.validationLoss),
            ("metrics/val_miou", record.validationMIoU), ("metrics/val_accuracy", record.validationAccuracy),
            ("metrics/val_f1_macro", record.validationF1Macro),
            ("entropy/train", record.trainEntropy), ("entropy/val", record.validationEntropy),
            ("learning_rate", record.learningRate), ("throughput/tiles_per_second", record.tilesPerSecond),
        ]
        return values.compactMap { tag, value in
            guard let value, value.isFinite else { return nil }
            return (tag, .scalar(Float(value)))
        }
    }

    /// The snapshot heatmap PNGs of an epoch folder, by name.
    static func images(in folder: URL) throws(TrainingError) -> [(tag: String, value: TensorBoardEvent.Value)] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".png") }.sorted()
        var images: [(tag: String, value: TensorBoardEvent.Value)] = []
        for name in names {
            let url = folder.appendingPathComponent(name)
            guard let png = try? Data(contentsOf: url), let header = PNGHeader(png) else {
                throw .data("cannot read the snapshot figure \(url.path) as a PNG")
            }
            images.append(("snapshots/" + (name as NSString).deletingPathExtension,
                           .image(png: png, width: header.width, height: header.height, colorspace: header.channels)))
        }
        return images
    }
}

/// The size and channel count in a PNG's IHDR chunk (what `Summary.Image` records).
struct PNGHeader {
    let width: Int, height: Int, channels: Int

    init?(_ data: Data) {
        let bytes = [UInt8](data.prefix(26))
        guard bytes.count == 26, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
              bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        func big(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        width = big(16)
        height = big(20)
        // Colour type: 0 grey, 2 RGB, 3 palette (drawn as RGB), 4 grey + alpha, 6 RGBA.
        channels = switch bytes[25] {
        case 0: 1
        case 4: 2
        case 6: 4
        default: 3
        }
    }
}
