import ArgumentParser
import Foundation
import GeoLensGeo
import GeoLensNN
import GeoLensPipeline
import GeoLensTensor
import GeoLensTrain

/// `geolens train --config FILE [--set KEY=VALUE]... [--resume]`: trains a built-in architecture
/// on GeoTIFF tiles and writes a run directory with checkpoints (safetensors + model card) that
/// `eval`, `predict` and `explain` load directly, plus `history.csv`/`history.json`.
struct TrainCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train or fine-tune a segmentation or tile-classification model on GeoTIFF tiles.",
        discussion: """
            The config (JSON or YAML) has keys model (a model card: architecture, task, classes, bands, \
            input_scale, ignore_index, architecture_options), data (images, labels or class_folders, \
            validation_fraction, crop, max_tiles_per_class, balanced_sampling, ...), epochs, batch_size, seed, loss, optimizer, schedule, augmentation, hooks, out, run_dir. \
            hooks.attribution_snapshots {every, tiles, classes, layer, composite} writes GradCAM++ maps of fixed \
            validation tiles into <run>/snapshots (index.html, snapshots.json). \
            Tile classifiers (task classification or multilabel, architecture resnet18/34/50) take \
            losses cross_entropy, focal or bce and report val_f1_macro. \
            Relative paths are resolved from the current directory. See configs/train.yaml and \
            configs/train-classification.yaml.
            """)

    @Option(help: "Training config file (JSON or YAML).")
    var config: String

    @Option(name: .customLong("source"), help: "Bind a named input source of a multi-input card: NAME=PATH (adds to data.sources; repeatable).")

    var sources: [String] = []

    @Option(name: .customLong("set"), help: "Override a config value, e.g. --set optimizer.learning_rate=0.001 (repeatable).")
    var overrides: [String] = []

    @Flag(help: "Continue the latest run of this config (or run_dir) from its last checkpoint.")
    var resume = false

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func execute() throws {
        SignalHandling.install()
        if let threads {
            guard threads >= 1 else { throw PipelineError.usage("--threads must be at least 1, got \(threads)") }
            Parallel.setThreadCount(threads)
        }
        let configuration = try TrainingConfigurationLoader.load(file: config, overrides: overrides)
        let directory = try TrainingConfigurationLoader.runDirectory(for: configuration, resume: resume)
        do {
            let tiles = try TrainingTileLoader.load(images: configuration.data.images, labels: configuration.data.labels,
                                                    card: configuration.model, classCount: configuration.model.classes?.count ?? 0,
                                                    imageSuffix: configuration.data.imageSuffix,
                                                    labelSuffix: configuration.data.labelSuffix,
                                                    labelRemap: configuration.data.labelRemap,
                                                    classFolders: configuration.data.classFolders,
                                                    sources: (configuration.data.sources ?? [:]).merging(try InputSources.parse(sources)) { $1 })
            let trainer = try Trainer(configuration: configuration, tiles: tiles, directory: directory, notes: printNote)
            if resume { try trainer.resumeFromLastCheckpoint() }
            printNote("training \(configuration.model.architecture) on \(trainer.trainingTileCount) tiles "
                      + "(\(trainer.validationTileCount) for validation) into \(directory.path)")
            let bar = EpochProgress(epochs: configuration.epochs)
            trainer.progress = { [unowned trainer] done, total in bar.advance(epoch: trainer.run.epoch, done: done, total: total) }
            let history = try trainer.train()
            bar.finish()
            print(TrainingSummary.text(history: history, directory: directory))
        }
    }
}
