import Foundation
import GeoLensEval
import GeoLensTensor
import Testing

/// Sharded runs merged through state.json give byte-identical metrics.json to one run.
@Suite("Shard states merge exactly")
struct ShardMergeTests {
    static let configuration = EvaluationConfiguration(classes: ["water", "field", "forest", "urban"], ignoreIndex: 255)
    static let tiles = SyntheticTile.make(count: 13, classes: 4, side: 12, skill: 0.7, seed: 42)

    /// metrics.json bytes of a state (bootstrap included, 200 resamples to stay quick in debug builds).
    static func metricsJSON(_ state: EvaluationState) throws -> Data {
        try MetricsReport(state: state, geolensVersion: "0.0.0", bootstrap: BootstrapOptions(resamples: 200, seed: 7)).jsonData()
    }

    static func run(_ tiles: some Collection<SyntheticTile>, batch: Int = 3) -> EvaluationState {
        var accumulator = EvaluationAccumulator(configuration: configuration)
        accumulator.add(tiles, batch: batch)
        return accumulator.state
    }

    /// Shards go through state.json bytes, as `geolens merge` reads them.
    static func throughFile(_ state: EvaluationState) throws -> EvaluationState {
        try JSONDecoder().decode(EvaluationState.self, from: state.jsonData())
    }

    static let splits: [(String, [[Int]])] = [
        ("two halves", [Array(0..<6), Array(6..<13)]),
        ("even and odd", [Array(stride(from: 0, to: 13, by: 2)), Array(stride(from: 1, to: 13, by: 2))]),
        ("uneven, shuffled order", [[12, 3, 7], [0], [11, 5, 1, 9, 2], [8, 4, 10, 6]]),
        ("one tile per shard", (0..<13).reversed().map { [$0] }),
    ]

    @Test("Merged metrics.json bytes equal the single-run bytes", arguments: 0..<splits.count)
    func mergedEqualsSingleRun(_ split: Int) throws {
        let single = try Self.metricsJSON(Self.run(Self.tiles))
        let shards = try Self.splits[split].1.map { indices in
            try Self.throughFile(Self.run(indices.map { Self.tiles[$0] }, batch: 2))
        }
        let merged = try EvaluationState.merge(shards.reversed())
        let mergedJSON = try Self.metricsJSON(merged)
        #expect(mergedJSON == single, "split \(Self.splits[split].0)")
        #expect(try merged.jsonData() == Self.run(Self.tiles).jsonData())
    }

    @Test("Float sums are not order-dependent by accident: a different tile order changes nothing")
    func batchOrderDoesNotMatter() throws {
        let forward = try Self.run(Self.tiles, batch: 4).jsonData()
        let backward = try Self.run(Self.tiles.reversed(), batch: 5).jsonData()
        #expect(forward == backward)
    }

    @Test("Overlapping shards are refused, naming the tile")
    func duplicateTilesRejected() throws {
        let a = Self.run(Self.tiles[0..<3])
        let b = Self.run(Self.tiles[2..<5])
        let error = try #require(throws: EvaluationError.self) { try EvaluationState.merge([a, b]) }
        #expect(error.code == .duplicateTile)
        #expect(error.message.contains("tile_002"))
    }

    @Test("Shards of different evaluations are refused, naming the key")
    func configurationMismatchRejected() throws {
        let a = Self.run(Self.tiles[0..<2])
        var other = EvaluationAccumulator(configuration: EvaluationConfiguration(
            classes: ["water", "field", "forest", "urban"], ignoreIndex: 0))
        other.add(Self.tiles[2..<4])
        let error = try #require(throws: EvaluationError.self) { try EvaluationState.merge([a, other.state]) }
        #expect(error.code == .configurationMismatch)
        #expect(error.message.contains("ignore_index"))
    }

    @Test("Shards of different checkpoints are refused")
    func modelMismatchRejected() throws {
        var a = EvaluationAccumulator(configuration: Self.configuration,
                                      model: ModelIdentity(path: "a.onnx", sha256: "aa", format: "onnx"))
        a.add(Self.tiles[0..<2])
        var b = EvaluationAccumulator(configuration: Self.configuration,
                                      model: ModelIdentity(path: "b.onnx", sha256: "bb", format: "onnx"))
        b.add(Self.tiles[2..<4])
        let error = try #require(throws: EvaluationError.self) { try EvaluationState.merge([a.state, b.state]) }
        #expect(error.code == .modelMismatch)
    }

    @Test("state.json round-trips exactly and names a bad file")
    func stateFileRoundTrip() throws {
        let state = Self.run(Self.tiles[0..<4])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("geolens-eval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("state.json")
        try AtomicFile.write(state.jsonData(), to: url)
        #expect(try EvaluationState.load(from: url) == state)
        try AtomicFile.write("{\"format_version\": 99}", to: url)
        let error = try #require(throws: EvaluationError.self) { try EvaluationState.load(from: url) }
        #expect(error.code == .unreadableState)
        #expect(error.message.contains(url.path))
    }
}
