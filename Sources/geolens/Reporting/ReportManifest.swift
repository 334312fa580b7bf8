import Foundation
import GeoLensGeo

/// `run.json` as the reports read it (schema in docs/reports.md): the eval command writes it
/// beside its outputs. Every key is optional when read, so that a report can still be built
/// from a partial run; unknown keys are kept for display.
struct ReportManifest {
    /// The manifest file name inside a run directory.
    static let fileName = "run.json"

    var version: String?
    var checkpointPath: String?
    var checkpointSHA256: String?
    var date: String?
    var seed: Int?
    var threads: Int?
    /// Directory of the image tiles and of the label tiles.
    var images: String?
    var labels: String?
    /// Per tile id, explicit image and label paths (overrides `images`/`labels` + `<tile>.tif`).
    var tiles: [String: (image: String?, label: String?)] = [:]
    /// 1-based raster bands drawn as red, green, blue in thumbnails (default 3, 2, 1).
    var compositeBands: [Int]?
    /// Display rows: key and compact JSON value, in the file's key order.
    var rows: [(key: String, value: String)] = []

    /// Reads `run.json` in `directory`, or nil when the file is absent.
    ///
    /// - Throws: `Failure.runtime` naming the file when it is not a JSON object.
    static func load(from directory: URL) throws -> ReportManifest? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
                throw Failure.runtime("\(url.path) is not a JSON object; rewrite it as described in docs/reports.md")
            }
            object = parsed
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure.runtime("cannot read \(url.path): \(error.localizedDescription); fix or delete the file")
        }
        var manifest = ReportManifest()
        manifest.version = object["geolens_version"] as? String
        // The checkpoint is either {"path", "sha256", "format"} or flat keys beside a path string.
        if let checkpoint = object["checkpoint"] as? [String: Any] {
            manifest.checkpointPath = checkpoint["path"] as? String
            manifest.checkpointSHA256 = checkpoint["sha256"] as? String
        } else {
            manifest.checkpointPath = object["checkpoint"] as? String
            manifest.checkpointSHA256 = object["checkpoint_sha256"] as? String
        }
        manifest.date = object["date"] as? String
        manifest.seed = (object["seed"] as? NSNumber)?.intValue
        manifest.threads = (object["threads"] as? NSNumber)?.intValue
        manifest.images = object["images"] as? String
        manifest.labels = object["labels"] as? String
        manifest.compositeBands = (object["composite_bands"] as? [NSNumber])?.map(\.intValue)
        if let tiles = object["tiles"] as? [String: [String: Any]] {
            for (id, entry) in tiles { manifest.tiles[id] = (entry["image"] as? String, entry["label"] as? String) }
        }
        let order = ["command", "geolens_version", "checkpoint", "checkpoint_sha256", "checkpoint_format", "model_card", "bands", "normalization", "config", "seed", "date",
                     "threads", "images", "labels"]
        let keys = order.filter { object[$0] != nil } + object.keys.filter { !order.contains($0) && $0 != "tiles" }.sorted()
        manifest.rows = keys.map { ($0, compact(object[$0]!)) }
        return manifest
    }

    /// Where a tile's files are: its image, its label and the stem that names its prediction
    /// rasters (`predictions/<stem>_pred.tif`).
    struct TileFiles {
        var image: URL?
        var label: URL?
        var stem: String
    }

    /// The files of every tile id (`state.json` keys are image paths relative to `images`).
    ///
    /// Lists the run's images and labels with GeoLensGeo's `TileDataset` (same-name pairing);
    /// when that fails (moved data, another pairing rule) each tile falls back to
    /// `<images>/<tile>` and `<labels>/<tile>` with `.tif` added when the id has no extension.
    func files(of tileIDs: [String], runDirectory: URL) -> [String: TileFiles] {
        func resolve(_ path: String?) -> String? {
            guard let path else { return nil }
            return path.hasPrefix("/") ? path : runDirectory.appendingPathComponent(path).path
        }
        var byID: [String: TileFiles] = [:]
        if let images = resolve(images), let dataset = try? TileDataset(images: images, labels: resolve(labels)) {
            for pair in dataset.pairs {
                byID[pair.relativePath] = TileFiles(image: URL(fileURLWithPath: pair.image),
                                                    label: pair.label.map { URL(fileURLWithPath: $0) }, stem: pair.stem)
            }
        }
        // `images` may be a glob (`data/*.tif`): its folder holds the tiles.
        func folder(_ path: String) -> String {
            path.contains("*") || path.contains("?") ? (path as NSString).deletingLastPathComponent : path
        }
        var result: [String: TileFiles] = [:]
        for id in tileIDs {
            let stem = ((id as NSString).lastPathComponent as NSString).deletingPathExtension
            let fileName = (id as NSString).pathExtension.isEmpty ? id + ".tif" : id
            var entry = byID[id] ?? TileFiles(
                image: resolve(images.map { (folder($0) as NSString).appendingPathComponent(fileName) }).map { URL(fileURLWithPath: $0) },
                label: resolve(labels.map { (folder($0) as NSString).appendingPathComponent(fileName) }).map { URL(fileURLWithPath: $0) },
                stem: stem)
            if let explicit = tiles[id] {
                if let image = resolve(explicit.image) { entry.image = URL(fileURLWithPath: image) }
                if let label = resolve(explicit.label) { entry.label = URL(fileURLWithPath: label) }
            }
            result[id] = entry
        }
        return result
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
