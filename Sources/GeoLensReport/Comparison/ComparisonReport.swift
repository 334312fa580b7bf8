public import Foundation
import GeoLensEval

/// The comparison of 2..N runs on the same tiles (`comparison.html` + `comparison.json`):
/// metrics side by side with intervals, paired-bootstrap deltas with p-values, per-class IoU
/// deltas, per-tile win/loss counts, the tiles where the checkpoints disagree most (thumbnails
/// and a disagreement map) and attribution maps side by side.
public struct ComparisonReport: Sendable {
    /// A tile where the runs' predictions differ, with pictures (composite, reference, each
    /// run's prediction, disagreement map).
    public struct DisagreementTile: Sendable {
        public var tile: String
        /// Fraction of valid pixels where the first two runs predict different classes.
        public var disagreement: Double
        public var thumbnails: [RunReport.Thumbnail]

        public init(tile: String, disagreement: Double, thumbnails: [RunReport.Thumbnail]) {
            self.tile = tile
            self.disagreement = disagreement
            self.thumbnails = thumbnails
        }
    }

    /// The same tile, method and class explained in several runs.
    public struct AttributionSet: Sendable {
        public var tile: String
        public var method: String
        public var className: String
        /// One map per run, labelled with the run name.
        public var maps: [RunReport.Thumbnail]

        public init(tile: String, method: String, className: String, maps: [RunReport.Thumbnail]) {
            self.tile = tile
            self.method = method
            self.className = className
            self.maps = maps
        }
    }

    public var summary: ComparisonSummary
    public var disagreements: [DisagreementTile]
    public var attributions: [AttributionSet]

    public init(summary: ComparisonSummary, disagreements: [DisagreementTile] = [], attributions: [AttributionSet] = []) {
        self.summary = summary
        self.disagreements = disagreements
        self.attributions = attributions
    }

    /// The page and, with `.beside`, the image files to write next to it.
    public func render(images: ReportImages = .embedded) -> (html: String, files: [String: [UInt8]]) {
        var sink = ImageSink(mode: images)
        let names = summary.runs.map(\.name)
        var subtitle = "\(summary.runs.count) runs · \(summary.tiles) common tiles · classes: \(summary.classes.joined(separator: ", "))"
        if summary.droppedTiles > 0 { subtitle += " · \(summary.droppedTiles) tiles outside the common subset left out" }
        var page = HTMLPage(title: "GeoLens comparison: " + names.joined(separator: " vs "), subtitle: subtitle)
        page.section("Runs", id: "runs", runTable())
        page.section("Metrics side by side", id: "metrics", metricsTable())
        page.section("Paired bootstrap deltas", id: "deltas", deltasTable())
        var perClass = "<div class=\"charts\">"
        for pair in summary.pairs {
            let values = summary.classes.map { pair.perClassIoUDelta[$0] ?? nil }
            perClass += "<figure>" + SVG.deltaChart(labels: summary.classes, values: values, title: "IoU delta \(pair.b) - \(pair.a)")
                + "<figcaption>IoU of \(HTML.escape(pair.b)) minus IoU of \(HTML.escape(pair.a)) per class (red: B better, blue: A better).</figcaption></figure>"
        }
        page.section("Per-class IoU deltas", id: "classes", perClass + "</div>")
        page.section("Per-tile wins and losses", id: "tiles", winLossTable())
        if !disagreements.isEmpty { page.section("Where the checkpoints disagree most", id: "disagree", disagreementTable(sink: &sink)) }
        if !attributions.isEmpty { page.section("Attributions side by side", id: "attributions", attributionTable(sink: &sink)) }
        return (page.render(), sink.files)
    }

    /// Writes `comparison.html` (plus its image folder with `.beside`) and `comparison.json`.
    public func write(to directory: URL, images: ReportImages = .embedded) throws {
        let (html, files) = render(images: images)
        try AtomicFile.write(summary.jsonData(), to: directory.appendingPathComponent("comparison.json"))
        try ReportFiles.write(html: html, images: files, mode: images, to: directory, fileName: "comparison.html")
    }

    func runTable() -> String {
        var s = "<table><thead><tr><th class=\"name\">run</th><th class=\"name\">directory</th><th class=\"name\">checkpoint</th><th class=\"name\">sha256</th><th>tiles</th></tr></thead><tbody>"
        for run in summary.runs {
            s += "<tr><td class=\"name\">\(HTML.escape(run.name))</td><td class=\"name\">\(HTML.escape(run.path))</td>"
                + "<td class=\"name\">\(HTML.escape(run.model?.path ?? "unknown"))</td>"
                + "<td class=\"name\">\(HTML.escape(String((run.model?.sha256 ?? "").prefix(16))))</td><td>\(run.tiles)</td></tr>"
        }
        return s + "</tbody></table>"
    }

    func metricsTable() -> String {
        var s = "<table><thead><tr><th class=\"name\">metric</th>" + summary.runs.map { "<th>\(HTML.escape($0.name))</th>" }.joined() + "</tr></thead><tbody>"
        for (metric, label) in ReportTables.summaryRows {
            s += "<tr><td class=\"name\">\(HTML.escape(label))</td>"
            for run in summary.runs {
                let interval = run.ci95[metric.rawValue] ?? nil
                s += "<td>" + HTML.withInterval(run.metrics[metric.rawValue] ?? nil, interval?.lower, interval?.upper) + "</td>"
            }
            s += "</tr>"
        }
        for name in summary.classes {
            s += "<tr><td class=\"name\">IoU \(HTML.escape(name))</td>" + summary.runs.map { "<td>\(HTML.number($0.perClassIoU[name] ?? nil))</td>" }.joined() + "</tr>"
        }
        return s + "</tbody></table><p class=\"note\">Brackets: 95% percentile bootstrap interval over tiles (\(summary.bootstrapResamples) resamples).</p>"
    }

    func deltasTable() -> String {
        var s = "<table><thead><tr><th class=\"name\">A</th><th class=\"name\">B</th><th class=\"name\">metric</th><th>A</th><th>B</th><th>B - A</th><th>95% CI of B - A</th><th>p-value</th></tr></thead><tbody>"
        for pair in summary.pairs {
            for c in pair.comparisons {
                let verdict = (c.pValue ?? 1) < 0.05 ? ((c.delta ?? 0) > 0 ? " class=\"better\"" : " class=\"worse\"") : ""
                s += "<tr><td class=\"name\">\(HTML.escape(pair.a))</td><td class=\"name\">\(HTML.escape(pair.b))</td><td class=\"name\">\(c.metric.rawValue)</td>"
                    + "<td>\(HTML.number(c.a))</td><td>\(HTML.number(c.b))</td><td\(verdict)>\(HTML.number(c.delta))</td>"
                    + "<td>" + (c.interval.map { "[\(HTML.number($0.lower)), \(HTML.number($0.upper))]" } ?? "—") + "</td>"
                    + "<td>\(pValueText(c))</td></tr>"
            }
        }
        return s + "</tbody></table><p class=\"note\">Paired bootstrap over tiles: each resample draws one tile set and scores both runs on it. "
            + "p-value: twice the fraction of resamples whose delta has the other sign, capped at 1. Green/red: p &lt; 0.05.</p>"
    }

    /// The p-value, or "< 1/resamples" when no resample flipped (the bootstrap cannot resolve less).
    func pValueText(_ c: PairedComparison) -> String {
        guard let p = c.pValue else { return "—" }
        if p == 0 && c.resamples > 0 { return "&lt; " + SVG.format(1 / Double(c.resamples), digits: 4) }
        return HTML.number(p, digits: 3)
    }

    func winLossTable() -> String {
        var s = "<table><thead><tr><th class=\"name\">A</th><th class=\"name\">B</th><th>tiles B better</th><th>tiles A better</th><th>ties or undefined</th></tr></thead><tbody>"
        for pair in summary.pairs {
            s += "<tr><td class=\"name\">\(HTML.escape(pair.a))</td><td class=\"name\">\(HTML.escape(pair.b))</td>"
                + "<td>\(pair.tiles.bBetter)</td><td>\(pair.tiles.aBetter)</td><td>\(pair.tiles.ties)</td></tr>"
        }
        return s + "</tbody></table><p class=\"note\">Counted on each tile's own mIoU.</p>"
    }

    func disagreementTable(sink: inout ImageSink) -> String {
        let labels = ReportTables.columnLabels(disagreements.map(\.thumbnails))
        var s = "<table class=\"sortable\"><thead><tr><th class=\"name\">tile</th><th>pixels disagreeing</th>"
            + labels.map { "<th class=\"name\">\(HTML.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for entry in disagreements {
            s += "<tr><td class=\"name\">\(HTML.escape(entry.tile))</td><td data-v=\"\(entry.disagreement)\">\(HTML.number(entry.disagreement * 100, digits: 1))%</td>"
            for label in labels {
                let thumb = entry.thumbnails.first { $0.label == label }
                s += "<td class=\"name\">" + (thumb.map { sink.image($0.png, name: "\(entry.tile)_\(label)", alt: "\(entry.tile) \(label)") } ?? "—") + "</td>"
            }
            s += "</tr>"
        }
        return s + "</tbody></table>" + ReportTables.classLegend(summary.classes) + "<p class=\"note\">Disagreement map: orange where the first two runs predict different classes, grey where they agree, dark where unscored.</p>"
    }

    func attributionTable(sink: inout ImageSink) -> String {
        var s = "<div class=\"gallery\">"
        for set in attributions {
            s += "<figure><div class=\"gallery\">"
            for map in set.maps {
                s += "<figure>" + sink.image(map.png, name: "\(set.tile)_\(set.method)_\(set.className)_\(map.label)", alt: "\(map.label)", cssClass: "attr")
                    + "<figcaption>\(HTML.escape(map.label))</figcaption></figure>"
            }
            s += "</div><figcaption>\(HTML.escape("\(set.tile) · \(set.method) · class \(set.className)"))</figcaption></figure>"
        }
        return s + "</div>"
    }
}
