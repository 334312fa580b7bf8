import Foundation
import GeoLensEval

/// One map of an attribution snapshot: a tile and a class after an epoch.
public struct SnapshotEntry: Codable, Sendable, Equatable {
    /// Epochs completed when the snapshot was taken (1-based, as the progress bar counts; the
    /// matching row of `history.json` has `epoch` one less).
    public var epoch: Int
    /// The tile id (its path relative to the image folder).
    public var tile: String
    public var className: String
    public var classIndex: Int
    /// The CAM layer.
    public var layer: String
    /// Pixels in the target mask (pixels predicted as the class); 0 gives an all-zero map.
    public var targetPixels: Int
    /// Paths relative to the `snapshots` folder.
    public var files: Files
    /// Smallest and largest value of the map (GradCAM++ maps are min-max scaled to 0...1).
    public var minimum: Float
    public var maximum: Float

    public struct Files: Codable, Sendable, Equatable {
        /// The heatmap over the composite, with a colour bar.
        public var heatmap: String
        /// The raw Float32 map as a GeoTIFF (georeferenced like the tile when the tile is).
        public var map: String
    }

    enum CodingKeys: String, CodingKey {
        case epoch, tile, layer, files
        case className = "class", classIndex = "class_index", targetPixels = "target_pixels"
        case minimum = "min", maximum = "max"
    }
}

/// `snapshots/snapshots.json`: what the snapshots show and one entry per map, ordered by epoch,
/// then tile, then class.
public struct SnapshotIndex: Codable, Sendable, Equatable {
    /// Always `gradcam++`.
    public var method: String
    /// Always `predicted`: the summed logits of the class over the pixels predicted as it.
    public var target: String
    public var every: Int
    /// The fixed tiles and classes, in the order the gallery shows them.
    public var tiles: [String]
    public var classes: [String]
    public var snapshots: [SnapshotEntry]

    /// The epochs with snapshots, ascending.
    public var epochs: [Int] { Array(Set(snapshots.map(\.epoch))).sorted() }

    /// Replaces the entries of `epoch` with `entries`, keeping epochs in ascending order.
    mutating func replace(epoch: Int, with entries: [SnapshotEntry]) {
        snapshots.removeAll { $0.epoch == epoch }
        let insertAt = snapshots.firstIndex { $0.epoch > epoch } ?? snapshots.count
        snapshots.insert(contentsOf: entries, at: insertAt)
    }

    /// Reads an index; nil when the file does not exist.
    static func read(_ url: URL) throws -> SnapshotIndex? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(SnapshotIndex.self, from: data)
        } catch {
            throw TrainingError.data("\(url.path) is not a snapshot index (\(error.localizedDescription)); move it away to start a new one")
        }
    }

    /// Writes the index atomically (sorted keys, indented).
    func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }
}
