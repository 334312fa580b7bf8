public import Foundation

/// The file outputs of an evaluation directory (CONTRACT.md): `metrics.json`, `per_tile.csv`,
/// `confusion.csv` and `state.json`, each written atomically. `report.html` and prediction
/// rasters belong to other modules.
public enum EvaluationOutputs {
    /// File names inside the output directory.
    public static let metricsFile = "metrics.json"
    public static let perTileFile = "per_tile.csv"
    public static let confusionFile = "confusion.csv"
    public static let stateFile = "state.json"

    /// Writes the four files for `state` into `directory` (created if needed) and returns the report.
    ///
    /// `state.json` is written last, so a directory holding a state also holds the outputs
    /// derived from it.
    /// - Throws: `EvaluationError.writeFailed` naming the file that could not be written.
    @discardableResult
    public static func write(_ state: EvaluationState, to directory: URL, geolensVersion: String,
                             model: ModelIdentity? = nil,
                             bootstrap: BootstrapOptions = BootstrapOptions(),
                             incompleteMerge: MetricsReport.IncompleteMerge? = nil) throws -> MetricsReport {
        var report = MetricsReport(state: state, geolensVersion: geolensVersion, model: model, bootstrap: bootstrap)
        report.incompleteMerge = incompleteMerge
        let classes = state.configuration.classes
        try AtomicFile.write(encoded(report.jsonData, file: metricsFile), to: directory.appendingPathComponent(metricsFile))
        try AtomicFile.write(EvaluationCSV.perTile(state.tileResults, classes: classes),
                             to: directory.appendingPathComponent(perTileFile))
        try AtomicFile.write(EvaluationCSV.confusion(state.totals.confusion, classes: classes),
                             to: directory.appendingPathComponent(confusionFile))
        var stamped = state
        if stamped.model == nil { stamped.model = model }
        try AtomicFile.write(encoded(stamped.jsonData, file: stateFile), to: directory.appendingPathComponent(stateFile))
        return report
    }

    /// Runs an encoder, turning its failure into an error that names the output file.
    private static func encoded(_ encode: () throws -> Data, file: String) throws -> Data {
        do {
            return try encode()
        } catch {
            throw EvaluationError(.writeFailed, "cannot encode \(file): \(error)")
        }
    }
}
