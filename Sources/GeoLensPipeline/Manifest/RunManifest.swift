public import Foundation
public import GeoLensNN
import GeoLensEval

/// `run.json`: what produced a run directory (command, checkpoint identity, model card, inputs
/// and how they pair, shard, settings, version, date, threads). Runs write it; reports,
/// comparisons and merges read it back with the same type.
///
/// Paths are stored absolute, so a run directory renders from any working directory and after
/// it is copied elsewhere. Manifests of schema 1 (GeoLens 0.1) stored paths as given; those are
/// resolved against the run directory, then the current directory (`resolvedPath`).
public struct RunManifest: Codable, Sendable, Equatable {
    /// The manifest file name inside a run directory.
    public static let fileName = "run.json"
    /// The schema written by this version: 2 added `schema_version`, absolute paths, the pairing
    /// keys and `shards`.
    public static let currentSchemaVersion = 2

    public var schemaVersion: Int
    public var command: String?
    public var geolensVersion: String?
    public var date: String?
    public var threads: Int?
    public var checkpoint: String?
    public var checkpointSHA256: String?
    public var checkpointFormat: String?
    public var modelCard: ModelCard?
    /// The image directory, glob or list file and the label directory of the run.
    public var images: String?
    public var labels: String?
    public var imageSuffix: String?
    public var labelSuffix: String?
    public var labelRemap: [String: Int]?
    public var ignoreIndex: Int?
    /// `I/N` of a sharded run, `0/1` for the whole set.
    public var shard: String?
    /// The shard directories a merged run was made from.
    public var shards: [String]?
    /// Shards (`I/N`) left out of a merge made with `--allow-incomplete`.
    public var missingShards: [String]?
    public var seed: UInt64?
    /// 1-based raster bands drawn as red, green, blue in thumbnails (default 3, 2, 1).
    public var compositeBands: [Int]?
    /// The effective settings (config file, `--set`, flags).
    public var config: [String: JSONValue]?
    /// Named input sources (`--source NAME=PATH`), absolute paths.
    public var sources: [String: String]?
    /// Prediction files a tile-task evaluation wrote (`write_predictions`), relative to the run directory.
    public var predictions: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case command, date, threads, checkpoint, images, labels, shard, shards, seed, config, sources, predictions
        case schemaVersion = "schema_version", geolensVersion = "geolens_version"
        case checkpointSHA256 = "checkpoint_sha256", checkpointFormat = "checkpoint_format", modelCard = "model_card"
        case imageSuffix = "image_suffix", labelSuffix = "label_suffix", labelRemap = "label_remap"
        case ignoreIndex = "ignore_index", compositeBands = "composite_bands", missingShards = "missing_shards"
    }

    public init(command: String, date: Date = Date()) {
        schemaVersion = Self.currentSchemaVersion
        self.command = command
        geolensVersion = GeoLensVersion.current
        self.date = ISO8601DateFormatter().string(from: date)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        command = try c.decodeIfPresent(String.self, forKey: .command)
        geolensVersion = try c.decodeIfPresent(String.self, forKey: .geolensVersion)
        date = try c.decodeIfPresent(String.self, forKey: .date)
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
        checkpoint = try c.decodeIfPresent(String.self, forKey: .checkpoint)
        checkpointSHA256 = try c.decodeIfPresent(String.self, forKey: .checkpointSHA256)
        checkpointFormat = try c.decodeIfPresent(String.self, forKey: .checkpointFormat)
        modelCard = try c.decodeIfPresent(ModelCard.self, forKey: .modelCard)
        images = try c.decodeIfPresent(String.self, forKey: .images)
        labels = try c.decodeIfPresent(String.self, forKey: .labels)
        imageSuffix = try c.decodeIfPresent(String.self, forKey: .imageSuffix)
        labelSuffix = try c.decodeIfPresent(String.self, forKey: .labelSuffix)
        labelRemap = try c.decodeIfPresent([String: Int].self, forKey: .labelRemap)
        ignoreIndex = try c.decodeIfPresent(Int.self, forKey: .ignoreIndex)
        shard = try c.decodeIfPresent(String.self, forKey: .shard)
        shards = try c.decodeIfPresent([String].self, forKey: .shards)
        missingShards = try c.decodeIfPresent([String].self, forKey: .missingShards)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        compositeBands = try c.decodeIfPresent([Int].self, forKey: .compositeBands)
        config = try c.decodeIfPresent([String: JSONValue].self, forKey: .config)
        sources = try c.decodeIfPresent([String: String].self, forKey: .sources)
        predictions = try c.decodeIfPresent([String].self, forKey: .predictions)
    }

    /// Records the sample source: absolute paths and the pairing and remapping settings.
    public mutating func record(_ source: SampleSourceOptions) {
        let absolute = source.absolute
        images = absolute.images
        labels = absolute.labels
        imageSuffix = source.imageSuffix
        labelSuffix = source.labelSuffix
        labelRemap = source.labelRemap.map { Dictionary(uniqueKeysWithValues: $0.map { (String($0.key), $0.value) }) }
        ignoreIndex = source.ignoreIndex
        sources = absolute.sources.isEmpty ? nil : absolute.sources
    }

    /// The manifest of a merge of `directories` made from this (the first shard's) manifest: the
    /// command, version and date of the merge, the shard directories, the shards left out of an
    /// incomplete merge, and the sample source with paths resolved (schema-1 shards stored them as
    /// given).
    public func merged(from directories: [URL], missing: [String]?) -> RunManifest {
        var manifest = self
        manifest.schemaVersion = Self.currentSchemaVersion
        manifest.command = "merge"
        manifest.geolensVersion = GeoLensVersion.current
        manifest.date = RunManifest(command: "merge").date
        manifest.shard = "merged from \(directories.count) shards"
        manifest.shards = directories.map { FileSystem.absolute($0.path) }
        manifest.missingShards = missing
        manifest.predictions = nil
        if let first = directories.first, let source = sampleSource(runDirectory: first) { manifest.record(source) }
        return manifest
    }

    /// Writes `run.json` into `directory` atomically.
    public func write(to directory: URL) throws(PipelineError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try PipelineError.wrapping(context: directory.appendingPathComponent(Self.fileName).path) {
            try AtomicFile.write(try encoder.encode(self), to: directory.appendingPathComponent(Self.fileName))
        }
    }

    /// Reads `run.json` in `directory`, or nil when the file is absent; an unreadable file is an
    /// error naming it.
    public static func load(from directory: URL) throws(PipelineError) -> RunManifest? {
        let url = directory.appendingPathComponent(fileName)
        guard FileSystem.exists(url.path) else { return nil }
        do {
            return try JSONDecoder().decode(RunManifest.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw .data("\(url.path) is not a GeoLens run manifest (\(error.readableDescription)); fix or delete the file")
        } catch {
            throw .data("cannot read \(url.path): \(error.localizedDescription); fix or delete the file")
        }
    }

    /// A stored path as it can be opened now: absolute paths as they are; relative ones (schema 1)
    /// against the run directory when that exists, else against the current directory.
    public static func resolvedPath(_ path: String, runDirectory: URL) -> String {
        guard !path.hasPrefix("/") else { return path }
        let beside = runDirectory.appendingPathComponent(path).path
        if FileSystem.exists(beside) || FileSystem.exists((beside as NSString).deletingLastPathComponent) && path.contains("*") {
            return (beside as NSString).standardizingPath
        }
        return FileSystem.absolute(path)
    }

    /// The sample source of the run, with paths resolved for `runDirectory`; nil without `images`.
    public func sampleSource(runDirectory: URL) -> SampleSourceOptions? {
        guard let images else { return nil }
        return SampleSourceOptions(
            images: Self.resolvedPath(images, runDirectory: runDirectory),
            labels: labels.map { Self.resolvedPath($0, runDirectory: runDirectory) },
            imageSuffix: imageSuffix ?? "", labelSuffix: labelSuffix ?? "",
            labelRemap: labelRemap.flatMap { try? SampleSourceOptions.labelRemap(fromConfig: $0) },
            ignoreIndex: ignoreIndex)
    }

    /// The manifest as display rows (key and compact JSON value), the important keys first.
    public func displayRows() -> [(key: String, value: String)] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [] }
        let order = ["command", "geolens_version", "checkpoint", "checkpoint_sha256", "checkpoint_format", "model_card",
                     "config", "seed", "date", "threads", "images", "labels", "shard", "shards", "missing_shards"]
        let keys = order.filter { object[$0] != nil } + object.keys.filter { !order.contains($0) }.sorted()
        return keys.map { ($0, Self.compact(object[$0]!)) }
    }

    /// A value as one line: strings as they are, everything else as sorted compact JSON.
    static func compact(_ value: Any) -> String {
        if let text = value as? String { return text }
        if let number = value as? NSNumber { return number.stringValue }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) {
            return String(decoding: data, as: UTF8.self)
        }
        return String(describing: value)
    }
}
