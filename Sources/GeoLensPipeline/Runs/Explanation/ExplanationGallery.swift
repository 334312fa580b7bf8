import Foundation
import GeoLensEval
import GeoLensReport

/// Writes `gallery.html` beside an explain run's (or merge's) `attributions.json`. Tile
/// classifiers' cards name the predicted and the reference classes; with labels, tiles come in
/// the order of the eval report (`TileOutcome`: confident mistakes first, or most wrong labels).
enum ExplanationGallery {
    static func write(_ document: AttributionsDocument, in directory: URL) throws(PipelineError) {
        var entries: [AttributionGallery.Entry] = []
        for record in ordered(document) {
            guard let map = record.map else { continue }
            let png = directory.appendingPathComponent((map as NSString).deletingPathExtension + ".png")
            guard let bytes = try? Data(contentsOf: png) else { continue }
            var facts = ["\(record.targetPixels) target pixels"]
            if let layer = record.layer { facts.append("layer \(layer)") }
            if let f = record.fullValue { facts.append("f(x) \(SVG.format(f, digits: 4))") }
            if let base = record.baseValue { facts.append("base \(SVG.format(base, digits: 4))") }
            if let delta = record.maxAbsDelta { facts.append("max |delta| \(SVG.format(delta, digits: 3))") }
            if let outcome = outcome(record, classes: document.classes) {
                let predicted = record.tilePredicted!.joined(separator: "; ")
                facts.append("predicted \(predicted.isEmpty ? "none" : predicted) (\(SVG.format(outcome.confidence, digits: 3)))")
                if let label = record.tileLabel {
                    facts.append("label \(label.isEmpty ? "none" : label.joined(separator: "; "))")
                    facts.append(outcome.wrong == true ? "WRONG" + (outcome.task == .multilabel ? " (\(outcome.wrongLabels!) labels)" : "")
                                 : "right")
                }
            }
            let stem = ((record.tile as NSString).lastPathComponent as NSString).deletingPathExtension
            entries.append(.init(attribution: RunReport.Attribution(tile: stem, method: record.method, className: record.className,
                                                                     png: [UInt8](bytes)), facts: facts))
        }
        var manifest: [(key: String, value: String)] = [("model", document.model), ("method", document.method),
                                                         ("classes", document.classes.joined(separator: ", "))]
        if let baseline = document.baseline { manifest.append(("baseline", baseline)) }
        if let background = document.background {
            manifest.append(("background", "\(background) (\(document.backgroundTiles?.count ?? 0) tiles)"))
        }
        if let merged = document.mergedShards { manifest.append(("merged shards", String(merged))) }
        let tiles = Set(document.records.map(\.tile)).count
        let gallery = AttributionGallery(title: "GeoLens attributions: \(document.method)",
                                         subtitle: "\(tiles) tiles · \(document.records.count) records", manifest: manifest,
                                         entries: entries)
        _ = try PipelineError.wrapping(context: directory.path) { try gallery.write(to: directory) }
    }

    /// The records in gallery order: with tile labels, tiles as `TileOutcome` orders them (a tile's
    /// records stay together in their order); otherwise as written.
    static func ordered(_ document: AttributionsDocument) -> [AttributionRecord] {
        let records = document.records
        guard records.contains(where: { $0.tileLabel != nil }) else { return records }
        let outcomes = records.map { outcome($0, classes: document.classes)
            ?? TileOutcome(task: .classification, predicted: [], reference: nil, confidence: 0) }
        return TileOutcome.order(outcomes, ids: records.map(\.tile)).map { records[$0] }
    }

    /// A tile classifier's record as a `TileOutcome` (nil for segmentation records).
    static func outcome(_ record: AttributionRecord, classes: [String]) -> TileOutcome? {
        guard let predicted = record.tilePredicted, let confidence = record.tileConfidence else { return nil }
        guard let task = record.tileTask else { return nil }
        let index = { (names: [String]) in names.compactMap { classes.firstIndex(of: $0) } }
        return TileOutcome(task: task, predicted: index(predicted), reference: record.tileLabel.map(index), confidence: confidence)
    }
}
