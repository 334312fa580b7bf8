import Foundation
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import GeoLensTrain
import Testing

/// Stops the run after a given epoch, as a kill right after that epoch's checkpoint would.
final class StopAfterEpoch: TrainingHook {
    let epoch: Int
    init(_ epoch: Int) { self.epoch = epoch }
    func onEpochEnd(_ record: EpochRecord, run: TrainingRun) throws {
        if record.epoch == epoch { run.stopRequested = true }
    }
}

/// The loop on the fixture tiles with a tiny U-Net: learning, checkpoints, resume.
@Suite(.serialized) struct TrainerTests {
    static func configuration(epochs: Int) -> TrainingConfiguration {
        let card = ModelCard(architecture: "unet", classes: ["clear", "cloud", "shadow"], inputScale: 1e-4, ignoreIndex: 255,
                             architectureOptions: ["base_channels": .number(4), "depth": .number(2)])
        var config = TrainingConfiguration(model: card, data: DataConfiguration(
            images: Fixtures.url("fixtures/tiles/images").path, labels: Fixtures.url("fixtures/tiles/labels").path))
        config.data.crop = 32
        config.data.validationFraction = 0.25
        config.epochs = epochs
        config.batchSize = 3
        config.seed = 7
        config.optimizer = OptimizerConfiguration(name: .adamw, learningRate: 0.01)
        config.schedule = LearningRateSchedule(name: .cosine, warmupSteps: 2)
        var augmentation = AugmentationConfiguration()
        augmentation.flips = true
        augmentation.rotate90 = true
        augmentation.brightness = 0.1
        config.augmentation = augmentation
        config.hooks.entropyRegularization = 0.01
        return config
    }

    static func tiles(_ config: TrainingConfiguration) throws -> [TrainingTile] {
        try TrainingTileLoader.load(images: config.data.images, labels: config.data.labels, card: config.model, classCount: 3)
    }

    @Test func lossDecreasesAndTheBestCheckpointLoadsForEvaluation() throws {
        let config = Self.configuration(epochs: 6)
        let dir = try GeoLensCLI.temporaryDirectory("train-loop")
        let trainer = try Trainer(configuration: config, tiles: try Self.tiles(config), directory: dir)
        let history = try trainer.train()
        #expect(history.count == 6)
        #expect(history.last!.trainLoss < history.first!.trainLoss, "train loss \(history.map(\.trainLoss))")
        #expect(history.allSatisfy { $0.validationMIoU != nil && $0.trainEntropy != nil })
        for name in ["history.csv", "history.json", "best.safetensors", "best.json", "best.meta.json", "last.optimizer.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "missing \(name)")
        }
        let loaded = try ModelLoader.load(checkpoint: dir.appendingPathComponent("best.safetensors"))
        #expect(loaded.card.mean?.count == 6 && loaded.card.std?.count == 6)
        #expect(loaded.model.classCount == 3)
    }

    @Test func resumingAfterAStopGivesTheSameWeightsAsOneRun() throws {
        let config = Self.configuration(epochs: 3)
        let tiles = try Self.tiles(config)
        let straightDir = try GeoLensCLI.temporaryDirectory("train-straight")
        let straight = try Trainer(configuration: config, tiles: tiles, directory: straightDir)
        try straight.train()

        let resumedDir = try GeoLensCLI.temporaryDirectory("train-resumed")
        let first = try Trainer(configuration: config, tiles: tiles, directory: resumedDir, extraHooks: [StopAfterEpoch(1)])
        #expect(try first.train().count == 2)
        // A kill while the next checkpoint was being staged leaves partial hidden files: never read.
        try Data("torn".utf8).write(to: resumedDir.appendingPathComponent(".staged-last.safetensors"))
        try Data("torn".utf8).write(to: resumedDir.appendingPathComponent(".staged-last.optimizer.safetensors"))
        let second = try Trainer(configuration: config, tiles: tiles, directory: resumedDir)
        try second.resumeFromLastCheckpoint()
        let history = try second.train()
        #expect(history.count == 3)

        let a = straight.run.model.stateDict(), b = second.run.model.stateDict()
        var worst: Float = 0
        for name in a.names {
            guard let x = a.tensor(name), let y = b.tensor(name) else { continue }
            for (u, v) in zip(x.scalars, y.scalars) { worst = max(worst, abs(u - v)) }
        }
        #expect(worst == 0, "resumed weights differ by up to \(worst)")
    }

    @Test func stratifiedSplitIsSeededAndDisjoint() throws {
        let tiles = try Self.tiles(Self.configuration(epochs: 1))
        let a = DatasetSplit.stratified(tiles, validation: 0.25, test: 0.25, seed: 3)
        let b = DatasetSplit.stratified(tiles, validation: 0.25, test: 0.25, seed: 3)
        #expect(a == b)
        #expect(Set(a.train).isDisjoint(with: a.validation) && Set(a.train).isDisjoint(with: a.test))
        #expect(a.train.count + a.validation.count + a.test.count == tiles.count)
        #expect(!a.validation.isEmpty && !a.test.isEmpty)
    }

    @Test func warmupThenCosineReachesTheMinimum() {
        var schedule = LearningRateSchedule(name: .cosine, warmupSteps: 4)
        schedule.minLearningRate = 0.001
        #expect(abs(schedule.learningRate(step: 0, totalSteps: 20, base: 0.1) - 0.025) < 1e-7)
        #expect(abs(schedule.learningRate(step: 4, totalSteps: 20, base: 0.1) - 0.1) < 1e-7)
        #expect(abs(schedule.learningRate(step: 20, totalSteps: 20, base: 0.1) - 0.001) < 1e-7)
    }
}
