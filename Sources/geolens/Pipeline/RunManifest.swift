import Foundation
import GeoLensEval
import GeoLensNN

/// `run.json`: what produced an output directory (checkpoint identity, card, inputs, settings,
/// version, date, threads), for reports and for people reading the directory later.
struct RunManifest: Codable {
    var command: String
    var geolensVersion: String
    var date: String
    var threads: Int
    var checkpoint: String
    var checkpointSHA256: String
    var checkpointFormat: String
    var modelCard: ModelCard
    var images: String
    var labels: String?
    var shard: String
    var seed: UInt64
    var config: [String: JSONValue]

    enum CodingKeys: String, CodingKey {
        case command, date, threads, checkpoint, images, labels, shard, seed, config
        case geolensVersion = "geolens_version", checkpointSHA256 = "checkpoint_sha256"
        case checkpointFormat = "checkpoint_format", modelCard = "model_card"
    }

    static let fileName = "run.json"

    func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: directory.appendingPathComponent(Self.fileName))
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date())
    }
}
