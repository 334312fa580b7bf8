import Foundation
import GeoLensEval
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import GeoLensTrain
import Testing

/// Training tile classifiers: the losses against PyTorch, the splits and samplers, and the loop
/// on the classification fixture chips with the built-in resnet18.
@Suite(.serialized) struct TileTrainingTests {
    struct LossCase: Decodable {
        let name: String, loss: String, gamma: Float
        let logits: ReferenceTensor
        let labels: [Int32]
        let value: Float
        let gradient: [Float]
        let alpha: [Float]?
    }
    struct LossFile: Decodable { let cases: [LossCase] }

    @Test("Tile losses equal PyTorch's values and gradients (scripts/reference/train_tile_losses.py)")
    func lossParity() throws {
        let file = try JSONDecoder().decode(LossFile.self, from: Data(contentsOf: Fixtures.url("fixtures/reference/train/tile_losses.json")))
        #expect(file.cases.count == 6)
        for c in file.cases {
            let multilabel = c.labels.count == c.logits.data.count
            let loss: any SegmentationLoss = switch (c.loss, multilabel) {
            case ("cross_entropy", _): CrossEntropyLoss()
            case ("bce", _): BinaryCrossEntropyLoss()
            case ("focal", true): SigmoidFocalLoss(gamma: c.gamma, dynamicAlpha: true)
            default: FocalLoss(gamma: c.gamma, dynamicAlpha: true)
            }
            if let alpha = c.alpha {
                let ours = multilabel ? SigmoidFocalLoss.batchAlpha(targets: c.labels, classes: c.logits.shape[1])
                    : FocalLoss.batchAlpha(labels: c.labels, classes: c.logits.shape[1], ignoreIndex: nil)
                for (a, b) in zip(ours, alpha) { #expect(abs(a - b) <= 1e-6, "\(c.name) alpha \(ours) vs \(alpha)") }
            }
            let z = c.logits.tensor.requiringGradient()
            let value = loss(z, labels: c.labels)
            #expect(abs(value.scalar - c.value) <= 1e-5 * max(1, abs(c.value)), "\(c.name): \(value.scalar) vs \(c.value)")
            let g = gradients(of: value, wrt: [z])[0].scalars
            let worst = zip(g, c.gradient).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-6, "\(c.name): gradient error \(worst)")
        }
    }

    static func multilabelTiles(_ sets: [[Int]], classCount: Int) -> [TrainingTile] {
        sets.enumerated().map { i, set in
            TrainingTile(id: "t\(i)", image: Tensor(shape: [1, 2, 2], repeating: Float(i)), target: .multiple(Set(set)),
                         task: .multilabel, classCount: classCount)
        }
    }

    @Test("Iterative stratification keeps each label's share in every part, deterministically")
    func iterativeStratification() throws {
        var generator = SeededGenerator(seed: 11)
        let sets: [[Int]] = (0..<200).map { _ in
            var set: [Int] = []
            if generator.nextUniform() < 0.5 { set.append(0) }
            if generator.nextUniform() < 0.2 { set.append(1) }
            if generator.nextUniform() < 0.05 { set.append(2) }
            if generator.nextUniform() < 0.3 { set.append(3) }
            return set
        }
        let tiles = Self.multilabelTiles(sets, classCount: 4)
        let split = DatasetSplit.iterativeStratified(tiles, validation: 0.2, test: 0.1, seed: 5)
        #expect(split == DatasetSplit.iterativeStratified(tiles, validation: 0.2, test: 0.1, seed: 5))
        #expect((split.train + split.validation + split.test).sorted() == Array(0..<200))
        #expect(abs(split.validation.count - 40) <= 2 && abs(split.test.count - 20) <= 2)
        for label in 0..<4 {
            let total = sets.filter { $0.contains(label) }.count
            for (part, fraction) in [(split.validation, 0.2), (split.test, 0.1)] {
                let count = part.filter { sets[$0].contains(label) }.count
                #expect(abs(Double(count) - fraction * Double(total)) <= 1, "label \(label): \(count) of \(total) for \(fraction)")
            }
        }
        // A random split of the same sizes misses the rare label's share far more often; this one
        // puts label 2's tiles in validation in proportion.
        #expect(split.validation.contains { sets[$0].contains(2) } || sets.filter { $0.contains(2) }.count < 3)
    }

    static func configuration(task: ModelTask = .classification, loss: String = "cross_entropy", epochs: Int = 2) -> TrainingConfiguration {
        // A narrow resnet18 (stem of 8 channels instead of 64): the same blocks and names, 1/64 of
        // the parameters, so the debug-build tests train in seconds.
        let card = ModelCard(architecture: "resnet18", classes: ["water", "vegetation", "cloud"], inputScale: 1e-4,
                             architectureOptions: ["width": .number(8)], task: task)
        let images = Fixtures.url("fixtures/classification/images").path
        var data = DataConfiguration(images: task == .multilabel ? images + "/*/*.tif" : images,
                                     labels: task == .multilabel ? Fixtures.url("fixtures/classification/labels_multilabel.csv").path : "")
        data.classFolders = task == .classification
        data.validationFraction = 0.2
        var config = TrainingConfiguration(model: card, data: data)
        config.epochs = epochs
        config.batchSize = 4
        config.seed = 3
        config.loss = LossConfiguration(name: loss)
        config.optimizer = OptimizerConfiguration(name: .adamw, learningRate: 0.001)
        config.hooks.checkpointMonitor = "val_f1_macro"
        config.hooks.tensorboard = false
        return config
    }

    static func tiles(_ config: TrainingConfiguration) throws -> [TrainingTile] {
        try TrainingTileLoader.load(images: config.data.images, labels: config.data.labels, card: config.model, classCount: 3,
                                    classFolders: config.data.classFolders)
    }

    @Test("A resnet18 classifier trains on class folders, checkpoints, and loads back as a classifier")
    func classificationRun() throws {
        var config = Self.configuration(loss: "focal")
        config.loss.dynamicAlpha = true
        let tiles = try Self.tiles(config)
        #expect(tiles.count == 15)
        let dir = try GeoLensCLI.temporaryDirectory("train-classifier")
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(configuration: config, tiles: tiles, directory: dir)
        // Stratified by class: each of the three classes (5 tiles) gives one tile to validation.
        #expect(trainer.validationTileCount == 3 && trainer.trainingTileCount == 12)
        let history = try trainer.train()
        #expect(history.count == 2)
        #expect(history.allSatisfy { $0.validationF1Macro != nil && $0.validationAccuracy != nil && $0.validationMIoU == nil })
        #expect(history.allSatisfy { $0.trainLoss.isFinite && $0.trainEntropy != nil })
        let csv = try String(contentsOf: dir.appendingPathComponent("history.csv"), encoding: .utf8)
        #expect(csv.contains(",val_f1_macro,"))
        let loaded = try ModelLoader.load(checkpoint: dir.appendingPathComponent("best.safetensors"))
        #expect(loaded.card.task == .classification && loaded.model.outputLayout == .tileScores)
        #expect(loaded.keyReport?.isExact == true)
        #expect(loaded.model.namedParameters().contains { $0.name == "fc.weight" && $0.parameter.shape == [3, 64] })
    }

    @Test("Multi-label training with BCE and the sigmoid focal loss, split by iterative stratification")
    func multilabelRun() throws {
        for loss in ["bce", "focal"] {
            var config = Self.configuration(task: .multilabel, loss: loss, epochs: 1)
            config.loss.dynamicAlpha = loss == "focal"
            let dir = try GeoLensCLI.temporaryDirectory("train-multilabel")
            defer { try? FileManager.default.removeItem(at: dir) }
            // The fixture table leaves chip_08 unlabelled (for eval's --allow-unlabelled); training needs every tile.
            let table = try String(contentsOf: URL(fileURLWithPath: config.data.labels), encoding: .utf8) + "chip_08,vegetation\n"
            config.data.labels = dir.appendingPathComponent("labels.csv").path
            try table.write(toFile: config.data.labels, atomically: true, encoding: .utf8)
            let trainer = try Trainer(configuration: config, tiles: try Self.tiles(config), directory: dir)
            let history = try trainer.train()
            #expect(history.count == 1 && history[0].validationF1Macro != nil && history[0].trainLoss.isFinite, "\(loss)")
            #expect(history[0].trainEntropy == nil)
        }
    }

    @Test("Balanced sampling draws at most the cap per class, anew each epoch")
    func balancedSampling() throws {
        var config = Self.configuration(epochs: 3)
        config.data.validationFraction = 0
        config.data.maxTilesPerClass = 2
        config.data.balancedSampling = true
        let tiles = try Self.tiles(config)
        let dir = try GeoLensCLI.temporaryDirectory("train-balanced")
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(configuration: config, tiles: tiles, directory: dir)
        let draws = (0..<3).map { trainer.trainingTiles(epoch: $0) }
        for draw in draws {
            #expect(draw.count == 6)
            for c in 0..<3 { #expect(draw.filter { tiles[$0].classesPresent.contains(c) }.count == 2) }
        }
        #expect(Set(draws.map { $0 }).count > 1)
    }

    @Test("Tile tasks refuse pixel-only options and segmentation architectures with configuration errors")
    func refusals() throws {
        var config = Self.configuration()
        let tiles = try Self.tiles(config)
        let dir = try GeoLensCLI.temporaryDirectory("train-refusals")
        defer { try? FileManager.default.removeItem(at: dir) }
        config.loss = LossConfiguration(name: "dice")
        #expect(throws: TrainingError.self) { try Trainer(configuration: config, tiles: tiles, directory: dir) }
        config.loss = LossConfiguration(name: "bce")
        #expect(throws: TrainingError.self) { try Trainer(configuration: config, tiles: tiles, directory: dir) }
        config.loss = LossConfiguration(name: "cross_entropy")
        config.model.architecture = "unet"
        config.model.architectureOptions = [:]
        #expect(throws: TrainingError.self) { try Trainer(configuration: config, tiles: tiles, directory: dir) }
        config.model.architecture = "resnet18"
        config.data.labels = "labels.csv"
        #expect(throws: TrainingError.self) { try Trainer(configuration: config, tiles: tiles, directory: dir) }
        config.data.labels = ""
        config.data.balancedSampling = true
        #expect(throws: TrainingError.self) { try Trainer(configuration: config, tiles: tiles, directory: dir) }
    }

    @Test("A resumed classifier run ends with the same weights as an uninterrupted one")
    func resume() throws {
        let config = Self.configuration(epochs: 2)
        let tiles = try Self.tiles(config)
        let whole = try GeoLensCLI.temporaryDirectory("train-whole")
        let parts = try GeoLensCLI.temporaryDirectory("train-parts")
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: parts) }
        try Trainer(configuration: config, tiles: tiles, directory: whole).train()
        try Trainer(configuration: config, tiles: tiles, directory: parts, extraHooks: [StopAfterEpoch(0)]).train()
        let resumed = try Trainer(configuration: config, tiles: tiles, directory: parts)
        try resumed.resumeFromLastCheckpoint()
        try resumed.train()
        let a = try Data(contentsOf: whole.appendingPathComponent("last.safetensors"))
        let b = try Data(contentsOf: parts.appendingPathComponent("last.safetensors"))
        #expect(a == b)
    }
}
