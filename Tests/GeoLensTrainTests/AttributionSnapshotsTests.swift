import Foundation
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensReport
import GeoLensTensor
import GeoLensTestSupport
import GeoLensTrain
import Testing

/// The `AttributionSnapshots` hook on the tiny fixture U-Net: when it writes, what it writes,
/// that its maps are `CAMExplainer`'s, and that it never changes what training computes.
@Suite(.serialized) struct AttributionSnapshotsTests {
    static func configuration(epochs: Int, every: Int, tiles: Int = 2, classes: [String]? = ["clear", "1"]) -> TrainingConfiguration {
        var config = TrainerTests.configuration(epochs: epochs)
        var snapshots = AttributionSnapshotConfiguration()
        snapshots.every = every
        snapshots.tiles = tiles
        snapshots.classes = classes
        config.hooks.attributionSnapshots = snapshots
        return config
    }

    static func index(_ dir: URL) throws -> SnapshotIndex {
        let url = dir.appendingPathComponent("snapshots/snapshots.json")
        return try JSONDecoder().decode(SnapshotIndex.self, from: Data(contentsOf: url))
    }

    static func epochFolders(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("snapshots").path)
            .filter { $0.hasPrefix("epoch-") }.sorted()
    }

    @Test func writesMapsEveryNEpochsAndAtTheLastOneEqualToCAMExplainer() throws {
        let config = Self.configuration(epochs: 3, every: 2)
        let tiles = try TrainerTests.tiles(config)
        let dir = try GeoLensCLI.temporaryDirectory("snapshots")
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(configuration: config, tiles: tiles, directory: dir)
        let history = try trainer.train()

        // Epoch 2 (every 2) and epoch 3 (the last), nothing after epoch 1.
        #expect(try Self.epochFolders(dir) == ["epoch-002", "epoch-003"])
        #expect(history.map(\.snapshots) == [nil, "snapshots/epoch-002", "snapshots/epoch-003"])
        let csv = try String(contentsOf: dir.appendingPathComponent("history.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n")[2].hasSuffix(",snapshots/epoch-002"))

        // The first two validation tiles in id order, the configured classes, the default layer.
        let split = DatasetSplit.stratified(tiles, validation: 0.25, test: 0, seed: config.seed)
        let chosen = split.validation.map { tiles[$0].id }.sorted().prefix(2)
        let index = try Self.index(dir)
        #expect(index.tiles == Array(chosen))
        #expect(index.classes == ["clear", "cloud"])
        #expect(index.method == "gradcam++" && index.target == "predicted" && index.every == 2)
        #expect(index.epochs == [2, 3])
        #expect(index.snapshots.count == 2 * 2 * 2)
        let order = index.snapshots.map { "\($0.epoch) \($0.tile) \($0.classIndex)" }
        #expect(order == [2, 3].flatMap { e in chosen.flatMap { t in [0, 1].map { "\(e) \(t) \($0)" } } })
        #expect(index.snapshots.allSatisfy { $0.layer == trainer.run.model.defaultCAMLayer })

        let model = trainer.run.model
        for entry in index.snapshots {
            let png = try PNGReader.decode(Data(contentsOf: dir.appendingPathComponent("snapshots/" + entry.files.heatmap)))
            // The labelled figure: the 64-pixel map drawn 4x, a title above it, the colour bar and a
            // scale bar (the fixture tiles are in UTM) below it.
            let layout = AttributionFigure.Layout(mapWidth: 64, mapHeight: 64, hasNote: false, hasScaleBar: true)
            #expect(png.width == layout.width && png.height == layout.height, "heatmap \(entry.files.heatmap) is \(png.width) x \(png.height)")
            #expect(layout.map.width == 256 && layout.title.bottom <= layout.map.y)
            let raster = try Raster(path: dir.appendingPathComponent("snapshots/" + entry.files.map).path)
            let source = try Raster(path: Fixtures.url("fixtures/tiles/images/" + entry.tile).path)
            #expect(raster.geoTransform == source.geoTransform && raster.crs?.epsg == source.crs?.epsg)
            let values = try raster.read().values.scalars
            #expect(entry.minimum == values.min() && entry.maximum == values.max())
            guard entry.epoch == 3 else { continue }
            // The last snapshot was taken with the final weights: a direct GradCAM++ call agrees exactly.
            let tile = try #require(tiles.first { $0.id == entry.tile })
            var input = tile.image.reshaped([1] + tile.image.shape)
            InputNormalization(card: trainer.run.card, channels: 6).apply(to: &input)
            let prediction = predictedClasses(model(input))
            let target = try SegmentationTarget.make(region: .predicted, classIndex: entry.classIndex, prediction: prediction,
                                                     labels: nil, height: 64, width: 64)
            let direct = try CAMExplainer(model: model, method: .gradcamPlusPlus).explain(input, targets: [target])[0]
            #expect(entry.targetPixels == target.pixelCount)
            #expect(direct.map == values, "snapshot \(entry.files.map) differs from CAMExplainer")
        }
        // Class 0 (clear) covers most pixels, so its maps are not empty.
        #expect(index.snapshots.contains { $0.classIndex == 0 && $0.targetPixels > 0 && $0.maximum > 0.5 })

        let html = try String(contentsOf: dir.appendingPathComponent("snapshots/index.html"), encoding: .utf8)
        let sources = try #require(htmlImageSources(html), "index.html is not well-formed")
        #expect(Set(sources) == Set(index.snapshots.map(\.files.heatmap)))
        #expect(html.contains("class clear") && html.contains("class cloud") && html.contains("epoch 3"))
    }

    @Test func trainingWithSnapshotsEndsWithBitIdenticalWeights() throws {
        let plain = TrainerTests.configuration(epochs: 3)
        let tiles = try TrainerTests.tiles(plain)
        let plainDir = try GeoLensCLI.temporaryDirectory("snapshots-off")
        let snapDir = try GeoLensCLI.temporaryDirectory("snapshots-on")
        defer { for dir in [plainDir, snapDir] { try? FileManager.default.removeItem(at: dir) } }
        let without = try Trainer(configuration: plain, tiles: tiles, directory: plainDir)
        let a = try without.train()
        let with = try Trainer(configuration: Self.configuration(epochs: 3, every: 1, tiles: 3, classes: nil),
                               tiles: tiles, directory: snapDir)
        let b = try with.train()
        #expect(try Self.index(snapDir).snapshots.count == 3 * 3 * 3)

        let x = without.run.model.stateDict(), y = with.run.model.stateDict()
        #expect(x.names == y.names)
        for name in x.names {
            #expect(x.tensor(name)?.scalars == y.tensor(name)?.scalars, "\(name) differs")
        }
        let (m, steps) = without.run.optimizer.exportState(), (n, otherSteps) = with.run.optimizer.exportState()
        #expect(steps == otherSteps && m.keys.sorted() == n.keys.sorted())
        for key in m.keys { #expect(m[key]?.scalars == n[key]?.scalars, "optimizer state \(key) differs") }
        func numbers(_ r: EpochRecord) -> [Double?] {
            [r.trainLoss, r.trainEntropy, r.validationLoss, r.validationMIoU, r.validationAccuracy, r.validationEntropy, r.learningRate]
        }
        #expect(a.map(numbers) == b.map(numbers))
    }

    @Test func resumeDropsSnapshotsOfEpochsAfterTheCheckpoint() throws {
        let config = Self.configuration(epochs: 3, every: 1, tiles: 1, classes: ["clear"])
        let tiles = try TrainerTests.tiles(config)
        let straightDir = try GeoLensCLI.temporaryDirectory("snapshots-straight")
        let resumedDir = try GeoLensCLI.temporaryDirectory("snapshots-resumed")
        defer { for dir in [straightDir, resumedDir] { try? FileManager.default.removeItem(at: dir) } }
        try Trainer(configuration: config, tiles: tiles, directory: straightDir).train()

        // Two epochs, then the state a kill leaves when it lands after epoch 3's snapshot but
        // before epoch 3's checkpoint: a folder and index entries the checkpoint does not cover.
        try Trainer(configuration: config, tiles: tiles, directory: resumedDir, extraHooks: [StopAfterEpoch(1)]).train()
        var index = try Self.index(resumedDir)
        #expect(index.epochs == [1, 2])
        let stale = index.snapshots.filter { $0.epoch == 2 }.map { entry -> SnapshotEntry in
            var copy = entry
            copy.epoch = 3
            copy.maximum = 42
            return copy
        }
        index.snapshots += stale
        try JSONEncoder().encode(index).write(to: resumedDir.appendingPathComponent("snapshots/snapshots.json"))
        let staleFolder = resumedDir.appendingPathComponent("snapshots/epoch-003")
        try FileManager.default.createDirectory(at: staleFolder, withIntermediateDirectories: true)
        try Data("torn".utf8).write(to: staleFolder.appendingPathComponent("left-over.png"))

        let resumed = try Trainer(configuration: config, tiles: tiles, directory: resumedDir)
        try resumed.resumeFromLastCheckpoint()
        try resumed.train()
        #expect(try Self.index(resumedDir) == Self.index(straightDir))
        #expect(!FileManager.default.fileExists(atPath: staleFolder.appendingPathComponent("left-over.png").path))
        for entry in try Self.index(straightDir).snapshots {
            let a = try Raster(path: straightDir.appendingPathComponent("snapshots/" + entry.files.map).path).read().values.scalars
            let b = try Raster(path: resumedDir.appendingPathComponent("snapshots/" + entry.files.map).path).read().values.scalars
            #expect(a == b, "\(entry.files.map) differs after resume")
        }
    }

    @Test func earlyStoppingSnapshotsTheEpochItStopsAt() throws {
        let config = Self.configuration(epochs: 4, every: 3, tiles: 1, classes: ["clear"])
        let dir = try GeoLensCLI.temporaryDirectory("snapshots-early")
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(configuration: config, tiles: try TrainerTests.tiles(config), directory: dir,
                                  extraHooks: [StopAfterEpoch(1)])
        let history = try trainer.train()
        #expect(history.map(\.snapshots) == [nil, "snapshots/epoch-002"])
        #expect(try Self.index(dir).epochs == [2])
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("last.meta.json"))) as? [String: Any]
        let rows = meta?["history"] as? [[String: Any]]
        #expect(rows?.last?["snapshots"] as? String == "snapshots/epoch-002", "the checkpoint's history must carry the link")
    }

    @Test func configurationMistakesNameTheKey() throws {
        func decode(_ json: String) throws -> AttributionSnapshotConfiguration {
            try JSONDecoder().decode(AttributionSnapshotConfiguration.self, from: Data(json.utf8))
        }
        #expect(try decode(#"{"classes": [1, "cloud"]}"#).classes == ["1", "cloud"])
        #expect(try decode(#"{"classes": [1, "cloud"]}"#).classIndices(names: ["clear", "cloud", "shadow"]) == [1])
        #expect(try decode("{}").classIndices(names: ["a", "b"]) == [0, 1])
        #expect(try decode("{}").compositeChannels(channels: 6) == [2, 1, 0])
        #expect(try decode("{}").compositeChannels(channels: 2) == [0])
        for (json, words) in [(#"{"every": 0}"#, ["every", "at least 1"]), (#"{"tiles": 0}"#, ["tiles"]),
                              (#"{"classes": []}"#, ["classes", "empty"]), (#"{"composite": [1, 2]}"#, ["composite", "1 or 3"])] {
            do {
                _ = try decode(json)
                Issue.record("\(json) was accepted")
            } catch let error as TrainingError {
                #expect(error.isConfiguration && words.allSatisfy { error.description.contains($0) }, "\(error)")
            }
        }
        #expect(throws: DecodingError.self) { try decode(#"{"evry": 2}"#) }
        #expect(throws: TrainingError.self) { try decode(#"{"classes": ["snow"]}"#).classIndices(names: ["clear", "cloud"]) }
        #expect(throws: TrainingError.self) { try decode(#"{"composite": [7, 2, 1]}"#).compositeChannels(channels: 6) }

        var config = Self.configuration(epochs: 1, every: 1)
        config.hooks.attributionSnapshots?.layer = "no.such.layer"
        let tiles = try TrainerTests.tiles(config)
        let dir = try GeoLensCLI.temporaryDirectory("snapshots-layer")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try Trainer(configuration: config, tiles: tiles, directory: dir)
            Issue.record("an unknown CAM layer was accepted")
        } catch let error as TrainingError {
            #expect(error.isConfiguration && error.description.contains("no.such.layer") && error.description.contains("CAM layers include"))
        }
    }
}
