import Foundation
import GeoLensNN
import GeoLensPipeline
import GeoLensTrain

/// Reads a training config with `--set` overrides and picks the run directory.
enum TrainingConfigurationLoader {
    static func load(file: String, overrides: [String]) throws -> TrainingConfiguration {
        var document = try ConfigDocument(file: URL(fileURLWithPath: file))
        for assignment in overrides { try document.set(assignment) }
        do {
            let configuration = try document.decode(TrainingConfiguration.self)
            do { try configuration.model.validate() } catch { throw PipelineError.usage("\(file): \(error)") }
            return configuration
        } catch let error as TrainingError {
            throw PipelineError.usage("\(file): \(error.description)")
        }
    }

    /// `run_dir` when set; with `--resume`, the latest resumable run of this config; else a new
    /// collision-free `<out>/<architecture>-<loss>-<yyyyMMdd>[-N]`.
    static func runDirectory(for configuration: TrainingConfiguration, resume: Bool) throws -> URL {
        if let explicit = configuration.runDirectory { return URL(fileURLWithPath: explicit) }
        let root = URL(fileURLWithPath: configuration.out)
        if resume {
            guard let latest = RunFiles.latestResumable(root: root, configuration: configuration) else {
                throw PipelineError.usage("--resume: no run of \(configuration.model.architecture)-\(configuration.loss.name) "
                                    + "with a last checkpoint under \(root.path); start without --resume")
            }
            return latest
        }
        return RunFiles.newRunDirectory(root: root, configuration: configuration)
    }
}

/// A progress bar per epoch on stderr.
final class EpochProgress {
    private let epochs: Int
    private var current: (epoch: Int, reporter: ProgressReporter)?

    init(epochs: Int) { self.epochs = epochs }

    func advance(epoch: Int, done: Int, total: Int) {
        if current?.epoch != epoch {
            current?.reporter.finish()
            current = (epoch, ProgressReporter("epoch \(epoch + 1)/\(epochs)", total: total, unit: "batches"))
        }
        current?.reporter.advance()
    }

    func finish() { current?.reporter.finish() }
}

/// The lines `geolens train` prints on stdout when it finishes.
enum TrainingSummary {
    static func text(history: [EpochRecord], directory: URL) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "-" }
        var lines = ["epoch  train_loss  val_loss  val_miou  val_acc  lr        tiles/s"]
        for r in history {
            lines.append(String(format: "%5d  %10.4f  %8@  %8@  %7@  %.2e  %7.1f", r.epoch + 1, r.trainLoss,
                                f(r.validationLoss), f(r.validationMIoU), f(r.validationAccuracy), r.learningRate, r.tilesPerSecond))
        }
        lines.append("run: \(directory.path)")
        lines.append("best checkpoint: \(directory.appendingPathComponent("best.safetensors").path)")
        let gallery = directory.appendingPathComponent(AttributionSnapshots.folder).appendingPathComponent("index.html")
        if FileManager.default.fileExists(atPath: gallery.path) { lines.append("attribution snapshots: \(gallery.path)") }
        return lines.joined(separator: "\n")
    }
}
