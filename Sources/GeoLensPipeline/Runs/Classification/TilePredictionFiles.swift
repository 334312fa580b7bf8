public import Foundation
public import GeoLensEval
import GeoLensNN

/// The prediction files of a tile classifier, written by `geolens predict` (`TilePredictionRun`)
/// and by `geolens eval --write-predictions` (`ClassificationRun`) with the same bytes for the
/// same tiles and model:
/// - `predictions.csv`: the columns of `eval`'s `per_tile.csv` with the label columns empty
///   (`tile,label,predicted,confidence,correct,p_<class>...`, or for multi-label
///   `tile,labels,predicted,exact_match,p_<class>...`), one row per tile in tile order;
/// - `predictions.json`: `task`, `classes`, `thresholds` (multi-label), `model` (path, sha256),
///   `tiles` (per tile: `tile`, `predicted` (a class name, or a list of names), `confidence` (the
///   top probability), `probabilities` by class name) and, when any, `failed_tiles`.
public enum TilePredictionFiles {
    /// The file names inside a run directory.
    public static let fileNames = ["predictions.csv", "predictions.json"]

    /// Writes both files of `state` into `directory` atomically (labels, if the state holds any,
    /// are left out: they are in `per_tile.csv`) and returns their paths.
    @discardableResult
    public static func write(_ state: ClassificationState, to directory: URL) throws(PipelineError) -> [String] {
        var predictions = ClassificationState(configuration: state.configuration, model: state.model)
        for id in state.sortedTileIDs {
            predictions.record(TileScores(probabilities: state.tiles[id]!.probabilities, target: nil), tile: id)
        }
        for failure in state.sortedFailures { predictions.recordFailure(tile: failure.tile, reason: failure.error) }
        let csv = directory.appendingPathComponent(fileNames[0]), json = directory.appendingPathComponent(fileNames[1])
        try PipelineError.wrapping(context: csv.path) {
            try AtomicFile.write(Data(ClassificationOutputs.perTile(predictions).utf8), to: csv)
        }
        try PipelineError.wrapping(context: json.path) { try AtomicFile.write(try document(predictions), to: json) }
        return [csv.path, json.path]
    }

    /// The predictions.json bytes of `state`.
    static func document(_ state: ClassificationState) throws -> Data {
        let configuration = state.configuration
        let classes = configuration.classes
        var tiles: [JSONValue] = []
        for id in state.sortedTileIDs {
            let scores = state.tiles[id]!
            let top = scores.predictedClass
            let predicted: JSONValue = configuration.task == .classification ? .string(classes[top])
                : .array(scores.predictedClasses(thresholds: configuration.thresholds).sorted().map { .string(classes[$0]) })
            var probabilities: [String: JSONValue] = [:]
            for (name, p) in zip(classes, scores.probabilities) { probabilities[name] = .number(Double(p)) }
            tiles.append(.object(["tile": .string(id), "predicted": predicted,
                                  "confidence": .number(Double(scores.probabilities[top])), "probabilities": .object(probabilities)]))
        }
        var root: [String: JSONValue] = [
            "task": .string(configuration.task.rawValue), "classes": .array(classes.map { .string($0) }), "tiles": .array(tiles),
            "model": .object(["path": .string(state.model?.path ?? ""), "sha256": .string(state.model?.sha256 ?? "")]),
        ]
        if configuration.task == .multilabel { root["thresholds"] = .array(configuration.thresholds.map { .number($0) }) }
        if !state.failedTiles.isEmpty {
            root["failed_tiles"] = .array(state.sortedFailures.map { .object(["tile": .string($0.tile), "error": .string($0.error)]) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(JSONValue.object(root))
    }
}
