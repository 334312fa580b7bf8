public import Foundation
public import GeoLensEval
import GeoLensNN

/// How SHAP features are cut into space: band groups crossed with a grid or with superpixels.
public enum CellKind: String, Codable, Sendable {
    case grid, superpixels
}

/// One explained tile and class, as written to `attributions.json`.
public struct AttributionRecord: Codable, Sendable, Equatable {
    /// Deletion/insertion AUCs of a record's per-pixel map and its cascading model randomization.
    public struct Sanity: Codable, Sendable, Equatable {
        public struct Randomization: Codable, Sendable, Equatable {
            public var layer: String
            public var spearman: Double
        }
        public var deletionAUC: Double?
        public var insertionAUC: Double?
        public var steps: Int
        public var randomization: [Randomization]
        public var note: String?

        enum CodingKeys: String, CodingKey {
            case steps, randomization, note
            case deletionAUC = "deletion_auc", insertionAUC = "insertion_auc"
        }
    }

    /// The tile's image file.
    public var tile: String
    public var method: String
    public var className: String
    public var classIndex: Int
    public var layer: String?
    public var target: String
    public var targetPixels: Int
    /// The raw map's file name (`<stem>_<method>_<class>.tif`, its heatmap `.png` beside it).
    public var map: String?
    public var groups: [String]?
    public var values: [Double]?
    public var standardErrors: [Double]?
    public var baseValue: Double?
    public var fullValue: Double?
    public var completenessResidual: Double?
    /// DeepLIFT and DeepSHAP: the largest |sum of attributions - (f(x) - f(b))| over the
    /// references b (captum's convergence delta; `completeness_residual` is their mean).
    public var maxAbsDelta: Double?
    public var evaluations: Int?
    /// `grid` or `superpixels` when the features are band groups crossed with spatial cells.
    public var cellKind: CellKind?
    public var cellCount: Int?
    /// The superpixel label raster of the tile (superpixel runs).
    public var segments: String?
    public var sanity: Sanity?
    /// Tile classifiers: the task, the tile's predicted classes (the top-1 class, or the multi-label set
    /// above the thresholds), their top probability, and the reference classes when labels were
    /// given (an empty list for an empty multi-label set); the gallery orders tiles by them.
    public var tileTask: TileTask?
    public var tilePredicted: [String]?
    public var tileConfidence: Double?
    public var tileLabel: [String]?

    enum CodingKeys: String, CodingKey {
        case tile, method, layer, target, map, groups, values, evaluations, sanity, segments
        case cellKind = "cell_kind", cellCount = "cell_count"
        case className = "class", classIndex = "class_index", targetPixels = "target_pixels"
        case standardErrors = "standard_errors", baseValue = "base_value", fullValue = "f_x"
        case completenessResidual = "completeness_residual", maxAbsDelta = "max_abs_delta"
        case tileTask = "tile_task", tilePredicted = "tile_predicted", tileConfidence = "tile_confidence", tileLabel = "tile_label"
    }

    /// The files this record names (map raster and heatmap, band-group chart, superpixel labels),
    /// for merges that gather a run's files in one folder.
    public var fileNames: [String] {
        var names: [String] = []
        if let map {
            names += [map, (map as NSString).deletingPathExtension + ".png"]
        }
        let stem = ((tile as NSString).lastPathComponent as NSString).deletingPathExtension
        if groups != nil && cellKind == nil {
            names += ["_groups.png", "_groups.svg"].map { "\(stem)_\(method)_\(className)\($0)" }
        }
        if let segments { names.append(segments) }
        return names
    }
}

/// `attributions.json` (or, for a shard of a sharded run, `attributions-shard-I-of-N.json`):
/// the settings of an explain run and its records.
public struct AttributionsDocument: Codable, Sendable {
    /// How the spatial cells were asked for (per-tile counts are in the records).
    public struct Cells: Codable, Sendable, Equatable {
        public var kind: CellKind
        public var grid: String?
        public var superpixels: Int?
        public var compactness: Double?
        public var bands: String?
    }

    public var model: String
    public var method: String
    public var baseline: String?
    /// The background tiles (`--background`) of deepshap and gradient-shap runs: the path given
    /// and the tiles read from it.
    public var background: String? = nil
    public var backgroundTiles: [String]? = nil
    public var cells: Cells?
    public var classes: [String]
    /// `I/N` when the run was one shard of N (absent for a whole run and after a merge).
    public var shard: String?
    /// The shards a merged document was made from.
    public var mergedShards: Int?
    public var records: [AttributionRecord]
    /// Tiles skipped with `on_error: skip`, with the reason (absent when none failed).
    public var failedTiles: [FailedTile]?

    enum CodingKeys: String, CodingKey {
        case model, method, baseline, cells, classes, shard, records
        case mergedShards = "merged_shards", failedTiles = "failed_tiles"
        case background, backgroundTiles = "background_tiles"
    }

    /// The file name of a whole run.
    public static let fileName = "attributions.json"

    /// The file name of shard `index` of `count` (several shards may share one output folder).
    public static func fileName(shardIndex index: Int, of count: Int) -> String {
        count <= 1 ? fileName : "attributions-shard-\(index)-of-\(count).json"
    }

    /// Whether `name` is an attributions file of a whole run or of a shard.
    public static func isDocumentName(_ name: String) -> Bool {
        name == fileName || (name.hasPrefix("attributions-shard-") && name.hasSuffix(".json"))
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }

    /// Reads a document, with an error naming the file.
    public static func load(from url: URL) throws(PipelineError) -> AttributionsDocument {
        do {
            return try decoder.decode(AttributionsDocument.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw .data("\(url.path) is not a GeoLens attributions file (\(error.readableDescription))")
        } catch {
            throw .data("cannot read \(url.path): \(error.localizedDescription)")
        }
    }

    /// Writes the document atomically.
    public func write(to url: URL) throws(PipelineError) {
        try PipelineError.wrapping(context: url.path) {
            try AtomicFile.write(try Self.encoder.encode(self), to: url)
        }
    }
}
