/// Settings of the `AttributionSnapshots` hook (`hooks.attribution_snapshots` key):
///
/// ```yaml
/// hooks:
///   attribution_snapshots: {every: 5, tiles: 2, classes: [cloud], layer: down2, composite: [3, 2, 1]}
/// ```
public struct AttributionSnapshotConfiguration: Codable, Sendable, Equatable {
    /// A snapshot after every `every`-th epoch (1-based: epochs every, 2 * every, ...) and after the last one.
    public var every: Int = 5
    /// How many validation tiles (the first in tile-id order) are explained.
    public var tiles: Int = 2
    /// Classes explained, by name or 0-based index (nil: every class of the model).
    public var classes: [String]?
    /// The CAM layer (nil: the architecture's default layer, as `geolens explain` uses).
    public var layer: String?
    /// 1-based input channels drawn as red, green, blue (or one grey channel) under the heatmaps
    /// (nil: 3,2,1, or the first channel when the model takes fewer than three).
    public var composite: [Int]?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case every, tiles, classes, layer, composite }

    public init(from decoder: Decoder) throws {
        try ConfigurationDecoding.rejectUnknownKeys(decoder, CodingKeys.self, "hooks.attribution_snapshots")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        every = try c.decodeIfPresent(Int.self, forKey: .every) ?? every
        tiles = try c.decodeIfPresent(Int.self, forKey: .tiles) ?? tiles
        classes = try c.decodeIfPresent([ClassReference].self, forKey: .classes)?.map(\.text)
        layer = try c.decodeIfPresent(String.self, forKey: .layer)
        composite = try c.decodeIfPresent([Int].self, forKey: .composite)
        guard every >= 1 else {
            throw TrainingError.configuration("hooks.attribution_snapshots.every must be at least 1, got \(every)")
        }
        guard tiles >= 1 else {
            throw TrainingError.configuration("hooks.attribution_snapshots.tiles must be at least 1, got \(tiles)")
        }
        if let classes, classes.isEmpty {
            throw TrainingError.configuration("hooks.attribution_snapshots.classes is empty; name at least one class or leave the key out")
        }
        if let composite, (composite.count != 1 && composite.count != 3) || composite.contains(where: { $0 < 1 }) {
            throw TrainingError.configuration("hooks.attribution_snapshots.composite must list 1 or 3 channel positions (1-based), got \(composite)")
        }
    }

    /// The class indices of `classes` among `names` (every class when `classes` is nil).
    public func classIndices(names: [String]) throws -> [Int] {
        guard let classes else { return Array(names.indices) }
        var indices: [Int] = []
        for text in classes {
            let index: Int
            if let named = names.firstIndex(of: text) {
                index = named
            } else if let number = Int(text), names.indices.contains(number) {
                index = number
            } else {
                throw TrainingError.configuration("hooks.attribution_snapshots.classes: '\(text)' is neither a class name "
                                                  + "(\(names.joined(separator: ", "))) nor an index below \(names.count)")
            }
            if !indices.contains(index) { indices.append(index) }
        }
        return indices
    }

    /// The 0-based channels under the heatmaps for a model with `channels` inputs.
    public func compositeChannels(channels: Int) throws -> [Int] {
        let positions = composite ?? (channels >= 3 ? [3, 2, 1] : [1])
        if let bad = positions.first(where: { $0 > channels }) {
            throw TrainingError.configuration("hooks.attribution_snapshots.composite: channel \(bad) is beyond the model's \(channels) input channels")
        }
        return positions.map { $0 - 1 }
    }
}

/// One entry of `classes`: a YAML/JSON number (an index) or a string (a name or an index).
private struct ClassReference: Decodable {
    let text: String

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let index = try? c.decode(Int.self) {
            text = String(index)
        } else {
            text = try c.decode(String.self)
        }
    }
}
