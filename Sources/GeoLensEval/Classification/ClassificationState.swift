public import Foundation

/// The mergeable state of a tile-task evaluation (`state.json` of a classification or
/// multi-label run): the configuration, the model identity and every tile's probabilities and
/// reference, keyed by tile id.
///
/// Metrics are always computed from the tiles in sorted tile-id order, and exact AUROC and
/// average precision depend only on the set of (probability, reference) pairs, so `merge` of
/// any shard split gives bit-identical metrics to one unsharded run. Memory: K floats per tile
/// (see `TileScores`).
public struct ClassificationState: Sendable, Equatable {
    /// Version of the state.json layout of tile tasks.
    public static let formatVersion = 1

    public var configuration: ClassificationConfiguration
    public var model: ModelIdentity?
    public private(set) var tiles: [String: TileScores]
    /// Tiles that could not be read or scored under `on_error: skip`, with the reason; they are in
    /// no metric and are listed under `failed_tiles` in state.json and metrics.json.
    public private(set) var failedTiles: [String: String] = [:]

    public init(configuration: ClassificationConfiguration, model: ModelIdentity? = nil) {
        self.configuration = configuration
        self.model = model
        tiles = [:]
    }

    /// Records tile `id` (a tile scored again replaces its earlier scores).
    public mutating func record(_ scores: TileScores, tile id: String) {
        precondition(scores.probabilities.count == configuration.classCount,
                     "ClassificationState.record: \(scores.probabilities.count) probabilities for \(configuration.classCount) classes")
        tiles[id] = scores
    }

    /// Tile ids in the order metrics and rows use.
    public var sortedTileIDs: [String] { tiles.keys.sorted() }

    /// Records a tile that failed (read, pairing or scoring) and was skipped.
    public mutating func recordFailure(tile id: String, reason: String) {
        failedTiles[id] = reason
    }

    /// The failed tiles in tile order.
    public var sortedFailures: [FailedTile] {
        failedTiles.keys.sorted().map { FailedTile(tile: $0, error: failedTiles[$0]!) }
    }

    /// The labelled tiles in sorted tile-id order: the samples every metric is computed from.
    public var labelledTiles: [TileScores] { sortedTileIDs.compactMap { tiles[$0]!.target == nil ? nil : tiles[$0]! } }

    /// Combines shard states into the state one run over all their tiles would have produced.
    ///
    /// - Throws: `EvaluationError` when the shards disagree on the configuration or model, or a
    ///   tile id appears in more than one shard.
    public static func merge(_ states: [ClassificationState]) throws -> ClassificationState {
        guard let first = states.first else {
            throw EvaluationError(.configurationMismatch, "merge: no shard state given; pass at least one state.json")
        }
        var merged = ClassificationState(configuration: first.configuration, model: first.model)
        for (index, state) in states.enumerated() {
            try ShardMergeCheck.shard(index, configurationDifference: first.configuration.firstDifference(from: state.configuration),
                                      model: state.model, mergedModel: merged.model)
            if merged.model == nil { merged.model = state.model }
            for (id, scores) in state.tiles {
                guard merged.tiles[id] == nil, merged.failedTiles[id] == nil else {
                    throw ShardMergeCheck.duplicate(id, shard: index)
                }
                merged.tiles[id] = scores
            }
            for (id, reason) in state.failedTiles {
                guard merged.tiles[id] == nil, merged.failedTiles[id] == nil else {
                    throw ShardMergeCheck.duplicate(id, shard: index)
                }
                merged.failedTiles[id] = reason
            }
        }
        return merged
    }
}

extension ClassificationState: Codable {
    private enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case task, configuration, model, tiles
        case failedTiles = "failed_tiles"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.formatVersion, forKey: .formatVersion)
        try c.encode(configuration.task, forKey: .task)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(model, forKey: .model)
        try c.encode(tiles, forKey: .tiles)
        if !failedTiles.isEmpty { try c.encode(sortedFailures, forKey: .failedTiles) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let version = try c.decode(Int.self, forKey: .formatVersion)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(forKey: .formatVersion, in: c,
                debugDescription: "state format_version \(version) is not supported (expected \(Self.formatVersion)); re-run the shard with this version")
        }
        self.init(configuration: try c.decode(ClassificationConfiguration.self, forKey: .configuration),
                  model: try c.decodeIfPresent(ModelIdentity.self, forKey: .model))
        let classCount = configuration.classCount
        for (id, scores) in try c.decode([String: TileScores].self, forKey: .tiles) {
            guard scores.probabilities.count == classCount, scores.target?.indices.allSatisfy({ (0..<classCount).contains($0) }) ?? true else {
                throw DecodingError.dataCorruptedError(forKey: .tiles, in: c,
                    debugDescription: "tile \"\(id)\" has \(scores.probabilities.count) probabilities or a label outside the \(classCount) classes")
            }
            record(scores, tile: id)
        }
        for failure in try c.decodeIfPresent([FailedTile].self, forKey: .failedTiles) ?? [] {
            recordFailure(tile: failure.tile, reason: failure.error)
        }
    }

    /// The state as `state.json` bytes (sorted keys: equal states give equal bytes).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a tile-task `state.json`.
    /// - Throws: `EvaluationError.unreadableState` naming the file and the reason.
    public static func load(from url: URL) throws -> ClassificationState {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw EvaluationError(.unreadableState, "cannot read shard state \(url.path): \(error.localizedDescription); check the path")
        }
        do {
            return try JSONDecoder().decode(ClassificationState.self, from: data)
        } catch {
            throw EvaluationError(.unreadableState, "shard state \(url.path) is not a valid state.json: \(error); re-run that shard")
        }
    }

    /// True when the `state.json` at `url` belongs to a tile task (it has a top-level `task`
    /// of `classification` or `multilabel`); segmentation states have none.
    public static func isTileTaskState(_ url: URL) -> Bool {
        struct Probe: Decodable { let task: TileTask? }
        guard let data = try? Data(contentsOf: url), let probe = try? JSONDecoder().decode(Probe.self, from: data) else { return false }
        return probe.task != nil
    }
}
