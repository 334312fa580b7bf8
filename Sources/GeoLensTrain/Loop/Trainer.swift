public import Foundation
import GeoLensPipeline
import GeoLensNN
import GeoLensEval
import GeoLensGeo
import GeoLensTensor

/// The training loop. It never changes; entropy regularization, uncertainty tracking, early
/// stopping, attribution snapshots and checkpointing attach as hooks.
///
/// The card's `task` says what is trained: segmentation (a label per pixel), classification (one
/// class per tile: `[N, K]` logits, softmax losses) or multi-label (a set of classes per tile:
/// `[N, K]` logits, sigmoid losses); tile tasks are validated with the tile metrics of `eval`.
///
/// Everything random is seeded from the configuration's seed and the epoch/update index (data
/// order per epoch, crops and augmentation per batch, dropout per update), so a run resumed from
/// its last checkpoint ends with the same weights as an uninterrupted one.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let run: TrainingRun
    private let tiles: [TrainingTile]
    private let split: DatasetSplit
    private let loss: any SegmentationLoss
    private let assembler: BatchAssembler
    private let task: ModelTask
    /// Optimizer updates over the whole run (the schedule's length).
    private var totalUpdates = 0
    private let parameters: [(name: String, parameter: Parameter)]
    private var startEpoch = 0
    /// Called after each training batch with (batches done, batches per epoch).
    public var progress: ((Int, Int) -> Void)?

    /// Prepares a run on in-memory tiles: split, normalization statistics, model, loss, optimizer, hooks.
    public init(configuration: TrainingConfiguration, tiles: [TrainingTile], directory: URL,
                extraHooks: [any TrainingHook] = [], notes: @escaping (String) -> Void = { _ in }) throws {
        self.configuration = configuration
        self.tiles = tiles
        let classCount = configuration.model.classes?.count ?? 0
        guard classCount >= 2 else { throw TrainingError.configuration("model.classes must name at least two classes") }
        let ignore = Int32(configuration.model.ignoreIndex ?? 255)
        let task = configuration.model.task
        self.task = task
        if task.scoresTiles {
            if configuration.hooks.attributionSnapshots != nil {
                throw TrainingError.configuration("hooks.attribution_snapshots explain pixel classes; they are not available for task '\(task.rawValue)' (explain a checkpoint with geolens explain)")
            }
            if task == .multilabel, let lambda = configuration.hooks.entropyRegularization, lambda != 0 {
                throw TrainingError.configuration("hooks.entropy_regularization penalizes softmax entropy, which task 'multilabel' (independent sigmoids) does not have")
            }
            if let tile = tiles.first(where: { $0.tileTarget == nil }) {
                throw TrainingError.data("tile \(tile.id) has a pixel label but task '\(task.rawValue)' trains on a label per tile")
            }
            if configuration.hooks.earlyStopping?.monitor == "val_miou" {
                throw TrainingError.configuration("hooks.early_stopping.monitor val_miou is not defined for task '\(task.rawValue)'; monitor val_f1_macro, val_accuracy or val_loss")
            }
        } else if configuration.data.balancedSampling {
            throw TrainingError.configuration("data.balanced_sampling draws tiles per class; it needs task 'classification' or 'multilabel'")
        }
        if configuration.data.classFolders && !configuration.data.labels.isEmpty {
            throw TrainingError.configuration("data.class_folders takes each tile's class from its folder; remove data.labels")
        }
        if configuration.data.balancedSampling && configuration.data.maxTilesPerClass == nil {
            throw TrainingError.configuration("data.balanced_sampling needs data.max_tiles_per_class (the per-class cap of each epoch)")
        }
        var split = if configuration.data.validationTiles != nil || configuration.data.testTiles != nil {
            try DatasetSplit.listed(tiles, validation: configuration.data.validationTiles ?? [], test: configuration.data.testTiles ?? [])
        } else if task == .multilabel {
            DatasetSplit.iterativeStratified(tiles, validation: configuration.data.validationFraction,
                                             test: configuration.data.testFraction, seed: configuration.seed)
        } else {
            DatasetSplit.stratified(tiles, validation: configuration.data.validationFraction,
                                    test: configuration.data.testFraction, seed: configuration.seed)
        }
        if let cap = configuration.data.maxTilesPerClass, !configuration.data.balancedSampling {
            split.train = DatasetSplit.capPerClass(split.train, tiles: tiles, cap: cap, seed: configuration.seed)
        }
        guard !split.train.isEmpty else { throw TrainingError.data("the training split is empty (\(tiles.count) tiles)") }
        self.split = split
        let trainTiles = split.train.map { tiles[$0] }
        let stats = TrainingTileLoader.normalizationStatistics(trainTiles, ignoreIndex: ignore)
        var card = configuration.model
        card.inChannels = tiles[0].image.shape[0]
        do { try card.requireResolvedInputs(for: "training") } catch { throw TrainingError.configuration(error.message) }
        if var inputs = card.inputs {
            // Each input of a multi-input card keeps its own slice of the statistics.
            for (i, entry) in ModelInputLayout(inputs).entries.enumerated() {
                inputs[i].mean = Array(stats.mean[entry.channels])
                inputs[i].std = Array(stats.std[entry.channels])
            }
            card.inputs = inputs
        } else {
            card.mean = stats.mean
            card.std = stats.std
        }
        card.ignoreIndex = Int(ignore)
        if card.tileSize == nil { card.tileSize = configuration.data.crop ?? tiles[0].height }
        let model = try ModelRegistry.build(card, seed: configuration.seed)
        if model.outputLayout != task.outputLayout {
            throw TrainingError.configuration("model.architecture '\(card.architecture)' outputs \(model.outputLayout.shapeDescription) scores "
                                              + "but model.task is '\(task.rawValue)'; "
                                              + (task.scoresTiles ? "use a classifier (resnet18, resnet34, resnet50)" : "set model.task to classification or multilabel"))
        }
        parameters = model.trainableParameters
        var pixelCounts = [Int](repeating: 0, count: classCount)
        if task.scoresTiles {
            for tile in trainTiles { for c in tile.classesPresent { pixelCounts[c] += 1 } }
        } else {
            for tile in trainTiles { for l in tile.labels where l >= 0 && Int(l) < classCount { pixelCounts[Int(l)] += 1 } }
        }
        loss = try LossRegistry.build(configuration.loss, context: LossContext(
            classCount: classCount, ignoreIndex: Int(ignore), classPixelCounts: pixelCounts, task: task,
            tileCount: trainTiles.count))
        assembler = BatchAssembler(tiles: tiles, mean: stats.mean.map(Float.init), std: stats.std.map(Float.init),
                                   crop: configuration.data.crop, augmentation: configuration.augmentation)
        let optimizer = OptimizerFactory.make(configuration.optimizer, parameters: parameters)
        var hash: UInt64 = 14_695_981_039_346_656_037
        for i in split.train + [-1] + split.validation {
            let id = i >= 0 ? tiles[i].id : "|"
            hash = (hash ^ Shard.fnv1a(id)) &* 1_099_511_628_211
        }
        run = TrainingRun(configuration: configuration, model: model, card: card, directory: directory,
                          optimizer: optimizer, dataHash: String(hash, radix: 16), notes: notes)
        if let source = tiles[0].source, let raster = try? Raster(path: source) {
            run.bandNames = (try? STACExport.bandNames(of: raster, card: card)) ?? nil
        }
        var hooks: [any TrainingHook] = task == .multilabel ? [] : [UncertaintyTracking()]
        if let lambda = configuration.hooks.entropyRegularization, lambda != 0 { hooks.append(EntropyRegularization(lambda: lambda)) }
        if let early = configuration.hooks.earlyStopping {
            hooks.append(EarlyStopping(monitor: early.monitor, mode: early.mode, patience: early.patience, minDelta: early.minDelta))
        }
        hooks += extraHooks
        if let snapshots = configuration.hooks.attributionSnapshots {
            // After the hooks that may stop the run, so that an early stop's last epoch is explained too.
            let hook = try AttributionSnapshots(configuration: snapshots, validationTiles: split.validation.map { tiles[$0] },
                                                model: model, classNames: card.classNames(count: classCount))
            if hook.tiles.count < snapshots.tiles {
                notes("hooks.attribution_snapshots.tiles is \(snapshots.tiles) but the validation split has \(hook.tiles.count) tile(s); using those")
            }
            hooks.append(hook)
        }
        // Tile tasks have no mIoU: the default monitor becomes the validation macro F1.
        let monitor = task.scoresTiles && configuration.hooks.checkpointMonitor == "val_miou" ? "val_f1_macro"
            : configuration.hooks.checkpointMonitor
        hooks.append(Checkpointing(monitor: monitor, mode: configuration.hooks.checkpointMode))
        // Last: it logs each epoch's final record and snapshot figures.
        if configuration.hooks.tensorboard { hooks.append(TensorBoardLogging()) }
        run.hooks = hooks
        totalUpdates = (0..<configuration.epochs).reduce(0) { $0 + updates(batches: batches(trainingTiles(epoch: $1).count)) }
    }

    public var trainingTileCount: Int { split.train.count }
    public var validationTileCount: Int { split.validation.count }
    private func batches(_ tiles: Int) -> Int { (tiles + configuration.batchSize - 1) / configuration.batchSize }
    private func updates(batches: Int) -> Int {
        (batches + configuration.optimizer.accumulationSteps - 1) / configuration.optimizer.accumulationSteps
    }

    /// The training tiles of `epoch`, before shuffling: the training split, or with
    /// `data.balanced_sampling` a fresh class-balanced draw of it for each epoch (each class
    /// contributes at most `max_tiles_per_class` tiles; rare classes keep all of theirs).
    public func trainingTiles(epoch: Int) -> [Int] {
        guard configuration.data.balancedSampling, let cap = configuration.data.maxTilesPerClass else { return split.train }
        return DatasetSplit.capPerClass(split.train, tiles: tiles, cap: cap,
                                        seed: configuration.seed ^ (0x5BA1_A4CE_0000_0000 &+ UInt64(epoch)))
    }

    /// Continues from `last.*` in the run directory: weights, optimizer state, history, hook states.
    /// A checkpoint write cut short by a kill is first finished or discarded (`CheckpointFileSet`).
    public func resumeFromLastCheckpoint() throws {
        let dir = run.directory
        for name in ["last", "best"] {
            if try CheckpointFileSet(directory: dir, name: name).recover() {
                run.note("finished the interrupted write of the \(name) checkpoint in \(dir.path)")
            }
        }
        RunFiles.removeInterruptedWrites(in: dir)
        RunFiles.removeInterruptedWrites(in: AttributionSnapshots.directory(of: run))
        let metaURL = dir.appendingPathComponent("last.meta.json")
        guard let data = FileManager.default.contents(atPath: metaURL.path) else {
            throw TrainingError.data("cannot resume: \(metaURL.path) does not exist; start the run without --resume")
        }
        let meta = try JSONDecoder().decode(CheckpointMetadata.self, from: data)
        guard meta.dataHash == run.dataHash else {
            throw TrainingError.data("cannot resume from \(dir.path): its tiles or split differ from this configuration's (data hash \(meta.dataHash) vs \(run.dataHash))")
        }
        try run.model.load(try CheckpointReader.read(dir.appendingPathComponent("last.safetensors")))
        let moments = try CheckpointReader.read(dir.appendingPathComponent("last.optimizer.safetensors"))
        var tensors: [String: Tensor] = [:]
        for name in moments.names { tensors[name] = moments.tensor(name) }
        run.optimizer.importState(tensors: tensors, steps: Int(moments.metadata["steps"] ?? "0") ?? 0)
        run.history = meta.history
        run.step = meta.step
        for hook in run.hooks { hook.restore(meta.hookStates[String(describing: type(of: hook))] ?? [:]) }
        startEpoch = meta.epoch + 1
    }

    /// Trains until the last epoch or a hook's stop request; returns the history.
    @discardableResult
    public func train() throws -> [EpochRecord] {
        try FileManager.default.createDirectory(at: run.directory, withIntermediateDirectories: true)
        for hook in run.hooks { try hook.onTrainStart(run) }
        var epoch = startEpoch
        while epoch < configuration.epochs && !run.stopRequested {
            run.epoch = epoch
            let started = Date()
            let (trainLoss, lastRate) = try trainEpoch(epoch)
            let seconds = Swift.max(Date().timeIntervalSince(started), 1e-9)
            var record = EpochRecord(epoch: epoch, trainLoss: trainLoss, learningRate: Double(lastRate),
                                     tilesPerSecond: Double(trainingTiles(epoch: epoch).count) / seconds)
            validate(into: &record)
            for hook in run.hooks { try hook.onValidationEnd(&record, run: run) }
            run.history.append(record)
            for hook in run.hooks { try hook.onEpochEnd(record, run: run) }
            try run.writeHistory()
            epoch += 1
        }
        // Also after a resume with nothing left to run, whose last history write the kill may have cut off.
        if !run.history.isEmpty { try run.writeHistory() }
        for hook in run.hooks { try hook.onTrainEnd(run) }
        return run.history
    }

    /// One pass over the shuffled training split; returns the mean batch loss and the last learning rate.
    ///
    /// Stops between batches when `RunInterruption` is requested (SIGINT/SIGTERM in the CLI): the
    /// epoch's updates are dropped and the last checkpoint stays what `--resume` continues from.
    private func trainEpoch(_ epoch: Int) throws -> (Double, Float) {
        let root = SeededGenerator(seed: configuration.seed)
        var order = trainingTiles(epoch: epoch)
        var orderGenerator = root.split(stream: UInt64(epoch) &+ 1)
        order.shuffle(using: &orderGenerator)
        let accumulation = configuration.optimizer.accumulationSteps
        var pending: [Tensor]? = nil
        var pendingCount = 0
        var lossSum = 0.0
        var rate = configuration.optimizer.learningRate
        let batches = batches(order.count)
        for b in 0..<batches {
            if let signal = RunInterruption.requestedSignal {
                let kept = epoch > 0 ? "the checkpoints of epoch \(epoch) are kept" : "no epoch had finished"
                throw PipelineError(.interrupted, "interrupted during epoch \(epoch + 1) of \(configuration.epochs): \(kept) in "
                                    + "\(run.directory.path); continue with geolens train --config ... --resume", signal: signal)
            }
            let indices = Array(order[(b * configuration.batchSize)..<Swift.min((b + 1) * configuration.batchSize, order.count)])
            let stream = (UInt64(epoch) << 32) | UInt64(b)
            var generator: SeededGenerator? = root.split(stream: stream ^ 0xA5A5_0000_0000_0000)
            let (images, labels) = assembler.batch(indices, generator: &generator)
            let context = ForwardContext(mode: .training, seed: stream ^ configuration.seed)
            let logits = scores(run.model.forward(images, context: context))
            let mainLoss = loss(logits, labels: labels)
            var total = mainLoss
            let outcome = BatchOutcome(epoch: epoch, batch: b, logits: logits, labels: labels, loss: mainLoss)
            for hook in run.hooks { if let extra = hook.onBatchEnd(outcome, run: run) { total = total + extra } }
            lossSum += Double(mainLoss.scalar)
            let grads = gradients(of: total, wrt: parameters.map(\.parameter.value))
            if let sum = pending { pending = zip(sum, grads).map { $0 + $1 } } else { pending = grads }
            pendingCount += 1
            if pendingCount == accumulation || b == batches - 1 {
                var update = pending!.map { pendingCount > 1 ? $0 * (1 / Float(pendingCount)) : $0 }
                if let maxNorm = configuration.optimizer.clipNorm { clipGradientNorm(&update, maxNorm: maxNorm) }
                rate = configuration.schedule.learningRate(step: run.step, totalSteps: totalUpdates,
                                                          base: configuration.optimizer.learningRate)
                run.optimizer.step(parameters.map(\.parameter), gradients: update, learningRate: rate)
                run.step += 1
                pending = nil
                pendingCount = 0
            }
            progress?(b + 1, batches)
        }
        return (lossSum / Double(Swift.max(batches, 1)), rate)
    }

    /// Tile scores `[N, K]` as `[N, K, 1, 1]`, so the softmax losses and hooks see one "pixel" per tile.
    private func scores(_ logits: Tensor) -> Tensor {
        task.scoresTiles ? logits.reshaped([logits.shape[0], logits.shape[1], 1, 1]) : logits
    }

    /// Runs the validation split in evaluation mode without a tape, batch by batch, handing `body`
    /// each batch's tile indices, logits and labels; returns the mean loss per batch.
    private func validationPass(_ body: (_ indices: [Int], _ logits: Tensor, _ labels: [Int32]) -> Void) -> Double {
        var lossSum = 0.0, batches = 0
        GradientMode.withoutRecording {
            for start in stride(from: 0, to: split.validation.count, by: configuration.batchSize) {
                let indices = Array(split.validation[start..<Swift.min(start + configuration.batchSize, split.validation.count)])
                var none: SeededGenerator? = nil
                let (images, labels) = assembler.batch(indices, generator: &none)
                let logits = run.model.forward(images, context: ForwardContext(mode: .evaluation))
                lossSum += Double(loss(scores(logits), labels: labels).scalar)
                batches += 1
                body(indices, logits, labels)
            }
        }
        return lossSum / Double(batches)
    }

    /// Evaluation-mode pass over the validation split with the evaluator's accumulator.
    private func validate(into record: inout EpochRecord) {
        guard !split.validation.isEmpty else { return }
        if task.scoresTiles { return validateTiles(into: &record) }
        var accumulator = EvaluationAccumulator(configuration: EvaluationConfiguration(
            classes: run.card.classNames(count: run.model.classCount), ignoreIndex: run.card.ignoreIndex))
        record.validationLoss = validationPass { indices, logits, labels in
            accumulator.add(logits, labels: labels, tileIDs: indices.map { tiles[$0].id })
        }
        let totals = accumulator.state.totals
        let metrics = SegmentationMetrics(totals.confusion)
        record.validationMIoU = metrics.miou
        record.validationAccuracy = metrics.overallAccuracy
        record.validationEntropy = totals.meanEntropy
    }

    /// Validation of a tile task with `eval`'s tile metrics: `val_accuracy` is the overall (top-1)
    /// accuracy, or the exact-match ratio for multi-label; `val_f1_macro` as in `metrics.json`.
    private func validateTiles(into record: inout EpochRecord) {
        let classCount = run.model.classCount
        var scores: [TileScores] = []
        record.validationLoss = validationPass { indices, logits, _ in
            let probabilities = (task == .multilabel ? logits.sigmoid() : logits.softmax(alongAxis: 1)).scalars
            for (n, index) in indices.enumerated() {
                let row = Array(probabilities[(n * classCount)..<((n + 1) * classCount)])
                let present = tiles[index].classesPresent
                scores.append(TileScores(probabilities: row,
                                         target: task == .multilabel ? .multiple(present) : .single(present.first!)))
            }
        }
        if task == .multilabel {
            let thresholds = (run.card.threshold ?? .standard).values(classCount: classCount)
            let metrics = MultilabelMetrics(tiles: scores, thresholds: thresholds)
            record.validationAccuracy = metrics.exactMatch
            record.validationF1Macro = metrics.f1Macro
        } else {
            let metrics = ClassificationMetrics(tiles: scores, classCount: classCount)
            record.validationAccuracy = metrics.overallAccuracy
            record.validationF1Macro = metrics.f1Macro
            record.validationEntropy = metrics.meanEntropy
        }
    }
}
