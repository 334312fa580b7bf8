public import GeoLensEval

/// A run to compare: a display name, where it came from, and its evaluation state.
public struct ComparedRun: Sendable {
    public var name: String
    /// The run directory (shown in the report and written to comparison.json).
    public var path: String
    public var state: EvaluationState

    public init(name: String, path: String, state: EvaluationState) {
        self.name = name
        self.path = path
        self.state = state
    }
}

/// Why runs cannot be compared; the message names the runs and says what to do.
public struct ComparisonError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case tooFewRuns, classMismatch, tileSetMismatch, noCommonTiles
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// Checks that runs share classes and tiles, or restricts them to their common tiles.
public enum ComparisonInputs {
    /// The runs ready for paired comparison.
    ///
    /// - Parameter commonSubset: compare only tiles scored in every run instead of refusing
    ///   runs on different tile sets.
    /// - Returns: the runs (restricted when asked) and the number of tiles dropped from any run.
    /// - Throws: `ComparisonError` for fewer than two runs, different class lists, different
    ///   tile sets (without `commonSubset`), or no tile in common.
    public static func prepare(_ runs: [ComparedRun], commonSubset: Bool) throws -> (runs: [ComparedRun], droppedTiles: Int) {
        guard runs.count >= 2 else {
            throw ComparisonError(.tooFewRuns, "compare: got \(runs.count) run directory; pass at least two evaluation runs")
        }
        let first = runs[0]
        for run in runs.dropFirst() where run.state.configuration.classes != first.state.configuration.classes {
            throw ComparisonError(.classMismatch,
                "compare: \(run.path) has classes \(run.state.configuration.classes) but \(first.path) has \(first.state.configuration.classes); compare runs of the same classes")
        }
        var common = Set(first.state.tiles.keys)
        for run in runs.dropFirst() { common.formIntersection(run.state.tiles.keys) }
        let dropped = runs.reduce(0) { $0 + $1.state.tiles.count - common.count }
        if dropped > 0 && !commonSubset {
            for run in runs {
                if let extra = run.state.sortedTileIDs.first(where: { !common.contains($0) }) {
                    throw ComparisonError(.tileSetMismatch,
                        "compare: tile \"\(extra)\" of \(run.path) is not scored in every run (\(run.state.tiles.count) vs \(first.state.tiles.count) tiles in \(first.path)); evaluate the runs on the same tiles or pass --common-subset")
                }
            }
        }
        guard !common.isEmpty else {
            throw ComparisonError(.noCommonTiles, "compare: the runs have no tile in common; check that they were evaluated on the same images")
        }
        guard dropped > 0 else { return (runs, 0) }
        let restricted = runs.map { run -> ComparedRun in
            var state = EvaluationState(configuration: run.state.configuration, model: run.state.model)
            for id in run.state.sortedTileIDs where common.contains(id) { state.record(run.state.tiles[id]!, tile: id) }
            return ComparedRun(name: run.name, path: run.path, state: state)
        }
        return (restricted, dropped)
    }
}
