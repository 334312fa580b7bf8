import Foundation
import GeoLensReport

/// Writes `gallery.html` beside an explain run's (or merge's) `attributions.json`.
enum ExplanationGallery {
    static func write(_ document: AttributionsDocument, in directory: URL) throws(PipelineError) {
        var entries: [AttributionGallery.Entry] = []
        for record in document.records {
            guard let map = record.map else { continue }
            let png = directory.appendingPathComponent((map as NSString).deletingPathExtension + ".png")
            guard let bytes = try? Data(contentsOf: png) else { continue }
            var facts = ["\(record.targetPixels) target pixels"]
            if let layer = record.layer { facts.append("layer \(layer)") }
            if let f = record.fullValue { facts.append("f(x) \(SVG.format(f, digits: 4))") }
            if let base = record.baseValue { facts.append("base \(SVG.format(base, digits: 4))") }
            if let delta = record.maxAbsDelta { facts.append("max |delta| \(SVG.format(delta, digits: 3))") }
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
}
