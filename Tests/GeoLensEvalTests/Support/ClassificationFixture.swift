import Foundation
import GeoLensEval
import GeoLensTestSupport
import Testing

/// One case of `fixtures/reference/metrics/classification.json`
/// (`scripts/reference/classification_torchmetrics.py`): per-tile probabilities, labels and the
/// values of torchmetrics 1.9's public classes.
struct ClassificationCase: Decodable, CustomTestStringConvertible, Sendable {
    struct Expected: Decodable, Sendable {
        let overallAccuracy: Double?, accuracyMacro: Double?, topKAccuracy: [String: Double?]?
        /// Top-k accuracy with ties at the k-th place given to the lower class index, and how many
        /// tiles tie there (where torch.topk's pick is implementation-defined).
        let topKAccuracyLowerIndex: [String: Double]?, topKBoundaryTies: [String: Int]?
        let precisionMacro: Double?, recallMacro: Double?, f1Macro: Double?, f1Micro: Double?, f1Weighted: Double?
        let kappa: Double?, aurocMacro: Double?, averagePrecisionMacro: Double?, ece: Double?
        let hammingDistance: Double?, exactMatch: Double?
        let precision: [Double?], recall: [Double?], f1: [Double?], auroc: [Double?], averagePrecision: [Double?]
        /// K x K for classification, K x 2 x 2 for multi-label.
        let confusion: JSONArray
    }

    /// A nested array of integers (the two confusion layouts).
    enum JSONArray: Decodable, Sendable {
        case matrix([[Int64]]), stack([[[Int64]]])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let m = try? c.decode([[Int64]].self) { self = .matrix(m) } else { self = .stack(try c.decode([[[Int64]]].self)) }
        }
    }

    enum Labels: Decodable, Sendable {
        case single([Int]), multiple([[Int]])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let l = try? c.decode([Int].self) { self = .single(l) } else { self = .multiple(try c.decode([[Int]].self)) }
        }
    }

    let name: String
    let task: String
    let classes: Int
    let threshold: Double?
    let probabilities: [[Float]]
    let labels: Labels
    let expected: Expected

    var testDescription: String { name }

    /// The tiles as GeoLens records them, with ids `tile_000`, ... (sorted in input order).
    var tiles: [(String, TileScores)] {
        probabilities.enumerated().map { i, row in
            let target: TileTarget = switch labels {
            case .single(let l): .single(l[i])
            case .multiple(let l): .multiple(Set(l[i].enumerated().compactMap { $0.element == 1 ? $0.offset : nil }))
            }
            return (String(format: "tile_%03d", i), TileScores(probabilities: row, target: target))
        }
    }

    var configuration: ClassificationConfiguration {
        ClassificationConfiguration(task: task == "multilabel" ? .multilabel : .classification,
                                    classes: (0..<classes).map { "c\($0)" },
                                    thresholds: task == "multilabel" ? [Double](repeating: threshold ?? 0.5, count: classes) : [])
    }

    /// A state holding every tile.
    var state: ClassificationState {
        var state = ClassificationState(configuration: configuration)
        for (id, scores) in tiles { state.record(scores, tile: id) }
        return state
    }

    static func load() throws -> [ClassificationCase] {
        struct File: Decodable { let cases: [ClassificationCase] }
        let data = try Data(contentsOf: Fixtures.url("fixtures/reference/metrics/classification.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(File.self, from: data).cases
    }
}

/// Checks `actual` against a torchmetrics value within an absolute `tolerance`.
func expectNear(_ actual: Double?, _ expected: Double?, tolerance: Double = 1e-6, _ what: @autoclosure () -> String,
                sourceLocation: SourceLocation = #_sourceLocation) {
    switch (actual, expected) {
    case (nil, nil): return
    case let (a?, e?):
        #expect(abs(a - e) <= tolerance, "\(what()): got \(a), torchmetrics \(e) (difference \(abs(a - e)))",
                sourceLocation: sourceLocation)
    default:
        Issue.record("\(what()): got \(String(describing: actual)), torchmetrics \(String(describing: expected))",
                     sourceLocation: sourceLocation)
    }
}
