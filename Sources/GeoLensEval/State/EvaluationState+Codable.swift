public import Foundation

/// `state.json`: the configuration, the model, the per-tile tallies keyed by tile id and, for
/// readers, the totals. Totals are derived data: decoding recomputes them from the tiles.
extension EvaluationState: Codable {
    private enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case configuration, model, tiles, totals
        case failedTiles = "failed_tiles"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.formatVersion, forKey: .formatVersion)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(model, forKey: .model)
        try c.encode(tiles, forKey: .tiles)
        try c.encode(totals, forKey: .totals)
        // Only runs that skipped tiles carry the key, so other states keep their bytes.
        if !failedTiles.isEmpty { try c.encode(sortedFailures, forKey: .failedTiles) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let version = try c.decode(Int.self, forKey: .formatVersion)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .formatVersion, in: c,
                debugDescription: "state format_version \(version) is not supported (expected \(Self.formatVersion)); re-run the shard with this version")
        }
        self.init(configuration: try c.decode(EvaluationConfiguration.self, forKey: .configuration),
                  model: try c.decodeIfPresent(ModelIdentity.self, forKey: .model))
        for (id, tally) in try c.decode([String: TileTally].self, forKey: .tiles) {
            guard tally.confusion.classCount == configuration.classCount,
                  tally.calibration.binCount == configuration.calibrationBins else {
                throw DecodingError.dataCorruptedError(
                    forKey: .tiles, in: c,
                    debugDescription: "tile \"\(id)\" has a \(tally.confusion.classCount)-class matrix and \(tally.calibration.binCount) bins; the state declares \(configuration.classCount) classes and \(configuration.calibrationBins) bins")
            }
            record(tally, tile: id)
        }
        for failure in try c.decodeIfPresent([FailedTile].self, forKey: .failedTiles) ?? [] {
            recordFailure(tile: failure.tile, reason: failure.error)
        }
    }

    /// The state as `state.json` bytes (sorted keys, so equal states give equal bytes).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads a `state.json` file.
    ///
    /// - Throws: `EvaluationError.unreadableState` naming the file and the reason.
    public static func load(from url: URL) throws -> EvaluationState {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw EvaluationError(.unreadableState, "cannot read shard state \(url.path): \(error.localizedDescription); check the path")
        }
        do {
            return try JSONDecoder().decode(EvaluationState.self, from: data)
        } catch {
            throw EvaluationError(.unreadableState, "shard state \(url.path) is not a valid state.json: \(error); re-run that shard")
        }
    }
}
