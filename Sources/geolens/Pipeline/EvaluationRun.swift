import Foundation
import GeoLensEval
import GeoLensGeo
import GeoLensNN
import GeoLensTensor

/// `geolens eval`: scores a checkpoint on labelled tiles and writes the CONTRACT.md outputs.
///
/// Tiles are read, batched by size, run through the model, and folded into per-tile tallies
/// (confusion matrix, entropy, calibration bins); each finished tile goes to the run journal so
/// that an interrupted run resumes where it stopped. Memory holds one batch and the per-tile
/// tallies, never the pixels of the whole set.
struct EvaluationRun {
    let config: EvalConfig
    let settings: [String: JSONValue]

    func execute() throws -> MetricsReport {
        if let threads = config.threads { Parallel.setThreadCount(threads) }
        let checkpoint = URL(fileURLWithPath: config.model)
        let loaded = try ModelLoading.load(checkpoint: checkpoint, card: config.modelCard)
        let runner = ModelRunner(loaded)
        let ignoreIndex = config.ignoreIndex ?? loaded.card.ignoreIndex ?? 255
        let remapping = config.labelRemap.map { table in
            LabelRemapping(Dictionary(uniqueKeysWithValues: table.map { (Int($0.key)!, $0.value) }))
        }
        let pairs = try selectTiles()
        let out = URL(fileURLWithPath: config.out)
        try createDirectory(out)

        let digest = try SHA256.hexDigest(of: checkpoint)
        let identity = ModelIdentity(path: checkpoint.path, sha256: digest, format: loaded.format)
        let configuration = EvaluationConfiguration(classes: loaded.classNames, ignoreIndex: ignoreIndex,
                                                    output: loaded.card.output == .probabilities ? .probabilities : .logits)
        let (journal, recorded) = try RunJournal.open(in: out, fingerprint: try fingerprint(digest: digest, card: loaded.card, pairs: pairs))
        defer { journal.close() }

        var state = EvaluationState(configuration: configuration, model: identity)
        let tileIDs = Set(pairs.map(\.relativePath))
        for (tile, tally) in recorded where tileIDs.contains(tile) { state.record(tally, tile: tile) }
        var accumulator = EvaluationAccumulator(state: state)
        let todo = pairs.filter { recorded[$0.relativePath] == nil }
        let progress = ProgressReporter("eval", total: pairs.count)
        if todo.count < pairs.count {
            printNote("eval: resuming \(out.path): \(pairs.count - todo.count) of \(pairs.count) tiles already scored")
            progress.advance(by: pairs.count - todo.count)
        }
        let predictions = out.appendingPathComponent("predictions")
        if config.writePredictions { try createDirectory(predictions) }

        var index = 0
        while index < todo.count {
            // A batch: consecutive tiles of one size, up to `batch` of them.
            var tiles = [try TileInput.read(todo[index], card: loaded.card, ignoreIndex: Int32(ignoreIndex), remapping: remapping)]
            index += 1
            while index < todo.count, tiles.count < config.batch {
                let next = try TileInput.read(todo[index], card: loaded.card, ignoreIndex: Int32(ignoreIndex), remapping: remapping)
                guard next.values.shape == tiles[0].values.shape else { break }
                tiles.append(next)
                index += 1
            }
            let batch = Tensor.stacked(tiles.map(\.values))
            try runner.checkInput(batch, source: tiles[0].pair.image)
            let output = runner.output(batch)
            let ids = tiles.map(\.pair.relativePath)
            accumulator.add(output, labels: tiles.flatMap { $0.labels! }, valid: .flags(tiles.flatMap(\.validity)), tileIDs: ids)
            if config.mcDropout >= 2 {
                for (i, tile) in tiles.enumerated() {
                    // One tile at a time with a seed from its id: the same dropout masks in any batch or shard.
                    let single = batch.slice(alongAxis: 0, start: i, end: i + 1)
                    let seed = config.seed ^ Shard.fnv1a(tile.pair.relativePath)
                    let samples = (0..<config.mcDropout).map { t in
                        runner.output(single, mode: .monteCarloDropout, seed: seed &+ UInt64(t))
                    }
                    accumulator.addMonteCarloDropout(samples, labels: tile.labels, valid: .flags(tile.validity), tileIDs: [ids[i]])
                }
            }
            if config.writePredictions {
                try PredictionRasters.write(output: output, tiles: tiles, runner: runner, classNames: loaded.classNames,
                                            to: predictions, probabilities: config.writeProbabilities)
            }
            try journal.record(ids.map { ($0, accumulator.state.tiles[$0]!) })
            progress.advance(by: tiles.count)
        }
        progress.finish()

        let report = try EvaluationOutputs.write(accumulator.state, to: out, geolensVersion: GeoLensVersion.current,
                                                 model: identity,
                                                 bootstrap: BootstrapOptions(resamples: config.bootstrapResamples, seed: config.seed))
        try RunManifest(command: "eval", geolensVersion: GeoLensVersion.current, date: RunManifest.now(),
                        threads: Parallel.threadCount, checkpoint: checkpoint.path, checkpointSHA256: digest,
                        checkpointFormat: loaded.format, modelCard: loaded.card, images: config.images,
                        labels: config.labels, shard: try shard().description, seed: config.seed, config: settings)
            .write(to: out)
        try RunReportBuilder.write(runDirectory: out)
        return report
    }

    /// The tiles of this shard, paired and in dataset order; an empty selection is an error.
    private func selectTiles() throws -> [TilePair] {
        let rule = PairingRule(imageSuffix: config.imageSuffix, labelSuffix: config.labelSuffix)
        let dataset = try TileDataset(images: config.images, labels: config.labels, rule: rule)
        let shard = try shard()
        let pairs = dataset.pairs(in: shard)
        guard !pairs.isEmpty else {
            throw Failure.runtime("shard \(shard) of \(config.images) holds no tiles (\(dataset.pairs.count) tiles in all); use fewer shards")
        }
        return pairs
    }

    private func shard() throws -> Shard {
        if let text = config.shard { return try Shard(parsing: text) }
        return try Shard.fromEnvironment(ProcessInfo.processInfo.environment) ?? .all
    }

    /// Everything that determines the numbers of a run, hashed: a journal is replayed only into the same run.
    private func fingerprint(digest: String, card: ModelCard, pairs: [TilePair]) throws -> String {
        struct Identity: Encodable {
            let checkpoint: String, card: ModelCard, tiles: [String], labels: [String]
            let ignoreIndex: Int?, labelRemap: [String: Int]?, mcDropout: Int, seed: UInt64
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(Identity(checkpoint: digest, card: card, tiles: pairs.map(\.relativePath),
                                               labels: pairs.map { $0.label ?? "" }, ignoreIndex: config.ignoreIndex,
                                               labelRemap: config.labelRemap, mcDropout: config.mcDropout, seed: config.seed))
        var hasher = SHA256()
        hasher.update(data)
        return hasher.finalize()
    }
}

func createDirectory(_ url: URL) throws {
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
        throw Failure.runtime("cannot create directory \(url.path): \(error.localizedDescription)")
    }
}

enum GeoLensVersion {
    static let current = "0.1.0"
}
