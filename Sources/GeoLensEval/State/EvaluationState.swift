/// The mergeable state of an evaluation (`state.json`): the configuration, the model identity
/// and one `TileTally` per tile, keyed by tile id.
///
/// Dataset totals are never accumulated directly: `totals` sums the tile tallies in sorted
/// tile-id order. Integer counts are exact whatever the order, and every floating-point sum
/// (entropy, calibration confidences, mutual information) is formed from the same per-tile
/// values in the same order, so `merge` of any shard split gives bit-identical metrics to one
/// unsharded run (as long as each tile is scored in one shard, which `--shard` guarantees).
/// Memory is O(tiles x (C^2 + bins)): nothing grows with the number of pixels.
public struct EvaluationState: Sendable, Equatable {
    /// Version of the state.json layout.
    public static let formatVersion = 1

    public var configuration: EvaluationConfiguration
    /// The checkpoint evaluated, when the caller knows it.
    public var model: ModelIdentity?
    /// Per-tile tallies keyed by tile id.
    public private(set) var tiles: [String: TileTally]
    /// Tiles that could not be read, paired or scored in a run with `on_error: skip`, with the
    /// reason, keyed by tile id. They count in no metric.
    public private(set) var failedTiles: [String: String] = [:]

    /// An empty state.
    public init(configuration: EvaluationConfiguration, model: ModelIdentity? = nil) {
        self.configuration = configuration
        self.model = model
        self.tiles = [:]
    }

    /// Adds `tally` to tile `id` (creating it if new).
    public mutating func record(_ tally: TileTally, tile id: String) {
        precondition(tally.confusion.classCount == configuration.classCount,
                     "EvaluationState.record: tally has \(tally.confusion.classCount) classes, state has \(configuration.classCount)")
        if tiles[id] == nil {
            tiles[id] = tally
        } else {
            tiles[id]!.merge(tally)
        }
    }

    /// Records that tile `id` failed with `reason` (a skipped tile counts in no metric).
    public mutating func recordFailure(tile id: String, reason: String) {
        failedTiles[id] = reason
    }

    /// The failed tiles sorted by id.
    public var sortedFailures: [FailedTile] {
        failedTiles.keys.sorted().map { FailedTile(tile: $0, error: failedTiles[$0]!) }
    }

    /// Tile ids in the order totals are summed (and per-tile rows are listed).
    public var sortedTileIDs: [String] { tiles.keys.sorted() }

    /// The dataset totals: every tile tally added in sorted tile-id order.
    public var totals: TileTally {
        var total = TileTally(classCount: configuration.classCount, calibrationBins: configuration.calibrationBins)
        for id in sortedTileIDs { total.merge(tiles[id]!) }
        return total
    }

    /// Confusion matrices of the tiles, in sorted tile-id order (the bootstrap's resampling units).
    public var tileConfusionMatrices: [ConfusionMatrix] { sortedTileIDs.map { tiles[$0]!.confusion } }

    /// Confusion-matrix metrics of the whole run.
    public var metrics: SegmentationMetrics { SegmentationMetrics(totals.confusion) }

    // MARK: Merge

    /// Combines shard states into the state one run over all their tiles would have produced.
    ///
    /// - Throws: `EvaluationError` when the shards disagree on the configuration or model, or
    ///   when a tile id appears in more than one shard (the shards overlap: re-run with disjoint
    ///   `--shard I/N` values).
    public static func merge(_ states: [EvaluationState]) throws -> EvaluationState {
        guard let first = states.first else {
            throw EvaluationError(.configurationMismatch, "merge: no shard state given; pass at least one state.json")
        }
        var merged = EvaluationState(configuration: first.configuration, model: first.model)
        for (index, state) in states.enumerated() {
            try ShardMergeCheck.shard(index, configurationDifference: first.configuration.firstDifference(from: state.configuration),
                                      model: state.model, mergedModel: merged.model)
            if merged.model == nil { merged.model = state.model }
            for (id, reason) in state.failedTiles {
                guard merged.tiles[id] == nil, merged.failedTiles[id] == nil else {
                    throw ShardMergeCheck.duplicate(id, shard: index)
                }
                merged.failedTiles[id] = reason
            }
            for (id, tally) in state.tiles {
                guard merged.tiles[id] == nil, merged.failedTiles[id] == nil else {
                    throw ShardMergeCheck.duplicate(id, shard: index)
                }
                merged.tiles[id] = tally
            }
        }
        return merged
    }
}

extension EvaluationConfiguration {
    /// The first key on which `other` differs, described with both values, or nil.
    func firstDifference(from other: EvaluationConfiguration) -> String? {
        if classes != other.classes { return "classes \(other.classes) (expected \(classes))" }
        if ignoreIndex != other.ignoreIndex {
            return "ignore_index \(other.ignoreIndex.map(String.init) ?? "null") (expected \(ignoreIndex.map(String.init) ?? "null"))"
        }
        if output != other.output { return "output \(other.output.rawValue) (expected \(output.rawValue))" }
        if calibrationBins != other.calibrationBins {
            return "calibration_bins \(other.calibrationBins) (expected \(calibrationBins))"
        }
        return nil
    }
}

/// A tile an evaluation skipped (`on_error: skip`), as `metrics.json` lists it.
public struct FailedTile: Sendable, Codable, Equatable {
    public var tile: String
    public var error: String

    public init(tile: String, error: String) {
        self.tile = tile
        self.error = error
    }
}
