public import Foundation

/// The files of a tile-task evaluation directory: `metrics.json`, `per_tile.csv`,
/// `confusion.csv` and `state.json` (the same names as segmentation runs), written atomically,
/// `state.json` last.
///
/// - `per_tile.csv`: `tile,label,predicted,confidence,correct,p_<class>...` (classification) or
///   `tile,labels,predicted,exact_match,p_<class>...` (multi-label; sets `;`-separated); an
///   unlabelled tile has empty label and correctness fields.
/// - `confusion.csv`: the K x K matrix as for segmentation (classification), or one row per
///   label `class,tn,fp,fn,tp` (multi-label).
public enum ClassificationOutputs {
    @discardableResult
    public static func write(_ state: ClassificationState, to directory: URL, geolensVersion: String,
                             model: ModelIdentity? = nil, bootstrap: BootstrapOptions = BootstrapOptions()) throws -> ClassificationReport {
        let report = ClassificationReport(state: state, geolensVersion: geolensVersion, model: model, bootstrap: bootstrap)
        try AtomicFile.write(encoded(report.jsonData, file: EvaluationOutputs.metricsFile),
                             to: directory.appendingPathComponent(EvaluationOutputs.metricsFile))
        try AtomicFile.write(Data(perTile(state).utf8), to: directory.appendingPathComponent(EvaluationOutputs.perTileFile))
        let classes = state.configuration.classes
        let confusion: String = switch report.metrics {
        case .classification(let m): EvaluationCSV.confusion(m.confusion, classes: classes)
        case .multilabel(let m): labelConfusion(m.confusion, classes: classes)
        }
        try AtomicFile.write(Data(confusion.utf8), to: directory.appendingPathComponent(EvaluationOutputs.confusionFile))
        var stamped = state
        if stamped.model == nil { stamped.model = model }
        try AtomicFile.write(encoded(stamped.jsonData, file: EvaluationOutputs.stateFile),
                             to: directory.appendingPathComponent(EvaluationOutputs.stateFile))
        return report
    }

    /// `per_tile.csv` of `state`, one row per tile in sorted tile-id order.
    public static func perTile(_ state: ClassificationState) -> String {
        let configuration = state.configuration
        let classes = configuration.classes
        let probabilityColumns = classes.map { "p_" + $0 }
        func names(_ indices: some Sequence<Int>) -> String { indices.sorted().map { classes[$0] }.joined(separator: ";") }
        var lines: [String]
        switch configuration.task {
        case .classification:
            lines = [(["tile", "label", "predicted", "confidence", "correct"] + probabilityColumns).map(EvaluationCSV.field).joined(separator: ",")]
            for id in state.sortedTileIDs {
                let tile = state.tiles[id]!
                let predicted = tile.predictedClass
                let label = tile.target?.indices.first
                let fields = [EvaluationCSV.field(id), label.map { EvaluationCSV.field(classes[$0]) } ?? "",
                              EvaluationCSV.field(classes[predicted]), "\(tile.probabilities[predicted])",
                              label.map { $0 == predicted ? "1" : "0" } ?? ""] + tile.probabilities.map { "\($0)" }
                lines.append(fields.joined(separator: ","))
            }
        case .multilabel:
            lines = [(["tile", "labels", "predicted", "exact_match"] + probabilityColumns).map(EvaluationCSV.field).joined(separator: ",")]
            for id in state.sortedTileIDs {
                let tile = state.tiles[id]!
                let predicted = tile.predictedClasses(thresholds: configuration.thresholds)
                let reference = tile.target.map { Set($0.indices) }
                let fields = [EvaluationCSV.field(id), reference.map { EvaluationCSV.field(names($0)) } ?? "",
                              EvaluationCSV.field(names(predicted)), reference.map { $0 == predicted ? "1" : "0" } ?? ""]
                    + tile.probabilities.map { "\($0)" }
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `confusion.csv` of a multi-label run: `class,tn,fp,fn,tp`.
    public static func labelConfusion(_ confusion: [LabelConfusion], classes: [String]) -> String {
        var lines = ["class,tn,fp,fn,tp"]
        for (name, c) in zip(classes, confusion) {
            lines.append([EvaluationCSV.field(name), "\(c.trueNegatives)", "\(c.falsePositives)", "\(c.falseNegatives)",
                          "\(c.truePositives)"].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func encoded(_ encode: () throws -> Data, file: String) throws -> Data {
        do { return try encode() } catch { throw EvaluationError(.writeFailed, "cannot encode \(file): \(error)") }
    }
}
