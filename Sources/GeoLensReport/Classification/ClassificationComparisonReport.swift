public import Foundation
public import GeoLensEval

/// `comparison.html` of tile-task runs: the runs' metrics side by side, each run's deltas
/// against the first with paired-bootstrap intervals and p-values, per-class F1 and AUROC deltas,
/// tile outcomes (right in both, in one, in neither) and the tiles where the predictions differ.
public struct ClassificationComparisonReport: Sendable {
    public var comparison: ClassificationComparison

    public init(comparison: ClassificationComparison) {
        self.comparison = comparison
    }

    public func render() -> String {
        let c = comparison
        var page = HTMLPage(title: "GeoLens comparison: " + c.runs.map(\.name).joined(separator: " vs "),
                            subtitle: "\(c.task.rawValue) · \(c.tiles) tiles · classes: \(c.classes.joined(separator: ", "))")
        page.section("Runs", id: "runs", runsTable())
        for pair in c.pairs {
            let id = "pair-" + String(pair.b.map { $0.isLetter || $0.isNumber ? $0 : "-" })
            page.section("\(pair.b) against \(pair.a)", id: id, pairSection(pair))
        }
        return page.render()
    }

    /// McNemar's test on the discordant tiles, naming which form gives the reported p-value.
    func mcnemarNote(_ pair: ClassificationComparison.Pair) -> String {
        let m = pair.mcnemar
        func p(_ v: Double?) -> String { v.map { $0 < 1e-4 ? String(format: "%.2e", $0) : String(format: "%.4f", $0) } ?? "n/a" }
        let chosen = m.test == "exact"
            ? "exact binomial test (fewer than \(McNemarTest.chiSquareFrom) discordant tiles)"
            : "chi-square test with continuity correction (\(McNemarTest.chiSquareFrom) or more discordant tiles)"
        return "<p class=\"note\" id=\"mcnemar-\(HTML.escape(pair.b))\">McNemar's test: b = \(m.b) tiles right only in "
            + "\(HTML.escape(pair.a)), c = \(m.c) right only in \(HTML.escape(pair.b)); p = \(p(m.pValue)) by the \(chosen). "
            + "Exact p = \(p(m.exactPValue)); chi-square (|b - c| - 1)² / (b + c) = "
            + "\(m.chiSquareStatistic.map { String(format: "%.4f", $0) } ?? "n/a"), p = \(p(m.chiSquarePValue)).</p>"
    }

    /// Writes `comparison.html` and `comparison.json` into `directory`.
    public func write(to directory: URL) throws {
        try ReportFiles.write(html: render(), images: [:], mode: .embedded, to: directory, fileName: "comparison.html")
        try AtomicFile.write(try comparison.jsonData(), to: directory.appendingPathComponent("comparison.json"))
    }

    /// Metric rows of the task, in display order.
    private var metricRows: [(key: String, name: String)] {
        comparison.task == .classification
            ? [("overall_accuracy", "overall accuracy"), ("accuracy_macro", "accuracy (macro)"), ("f1_macro", "F1 (macro)"),
               ("f1_weighted", "F1 (weighted)"), ("kappa", "Cohen's kappa"), ("auroc_macro", "AUROC (macro)"),
               ("average_precision_macro", "average precision (macro)"), ("ece", "ECE")]
            : [("f1_macro", "F1 (macro)"), ("f1_micro", "F1 (micro)"), ("exact_match", "exact match"),
               ("hamming_distance", "Hamming distance"), ("auroc_macro", "AUROC (macro)"),
               ("average_precision_macro", "average precision (macro)")]
    }

    private func runsTable() -> String {
        var s = "<table><thead><tr><th class=\"name\">metric</th>"
            + comparison.runs.map { "<th>\(HTML.escape($0.name))</th>" }.joined() + "</tr></thead><tbody>"
        for (key, name) in metricRows {
            s += "<tr><td class=\"name\">\(HTML.escape(name))</td>"
            for run in comparison.runs {
                let value = run.report.values[key] ?? nil
                let interval = run.report.ci95[key] ?? nil
                s += "<td>\(HTML.number(value))" + (interval.map { " <span class=\"ci\">[\(HTML.number($0.lower)), \(HTML.number($0.upper))]</span>" } ?? "") + "</td>"
            }
            s += "</tr>"
        }
        s += "</tbody></table><dl class=\"manifest\">"
            + comparison.runs.map { "<dt>\(HTML.escape($0.name))</dt><dd>\(HTML.escape($0.path))</dd>" }.joined() + "</dl>"
        return s
    }

    private func pairSection(_ pair: ClassificationComparison.Pair) -> String {
        var s = "<table><thead><tr><th class=\"name\">metric</th><th>\(HTML.escape(pair.a)) (A)</th><th>\(HTML.escape(pair.b)) (B)</th>"
            + "<th>B - A</th><th>95% CI</th><th>p</th></tr></thead><tbody>"
        let names = Dictionary(uniqueKeysWithValues: metricRows.map { ($0.key, $0.name) })
        for delta in pair.deltas {
            // Lower is better for the Hamming distance: colour by whether B improves.
            let better = delta.metric == "hamming_distance" ? (delta.delta ?? 0) < 0 : (delta.delta ?? 0) > 0
            let significant = (delta.pValue ?? 1) < 0.05
            let style = significant ? (better ? " class=\"better\"" : " class=\"worse\"") : ""
            s += "<tr><td class=\"name\">\(HTML.escape(names[delta.metric] ?? delta.metric))</td><td>\(HTML.number(delta.a))</td>"
                + "<td>\(HTML.number(delta.b))</td><td><span\(style)>\(HTML.number(delta.delta))</span></td>"
                + "<td>\(delta.ci95.map { "[\(HTML.number($0.lower)), \(HTML.number($0.upper))]" } ?? "—")</td>"
                + "<td>\(HTML.number(delta.pValue, digits: 3))</td></tr>"
        }
        s += "</tbody></table><p class=\"note\">Intervals and p-values: paired bootstrap over tiles (\(comparison.resamples) "
            + "resamples, the same tiles drawn for both runs; AUROC and average precision re-ranked in every resample).</p>"
        let runA = comparison.runs.first { $0.name == pair.a }!, runB = comparison.runs.first { $0.name == pair.b }!
        let (classesA, classesB) = (perClass(runA.report), perClass(runB.report))
        func deltas(_ value: (TileClassMetrics) -> Double?) -> [Double?] {
            zip(classesA, classesB).map { a, b in value(a).flatMap { a in value(b).map { $0 - a } } }
        }
        s += "<div class=\"charts\"><figure>" + SVG.deltaChart(labels: comparison.classes, values: deltas(\.f1), title: "F1 per class, B - A")
            + "<figcaption>F1 per class, B - A.</figcaption></figure><figure>"
            + SVG.deltaChart(labels: comparison.classes, values: deltas(\.auroc), title: "AUROC per class, B - A")
            + "<figcaption>AUROC per class, B - A (n/a: a class without positive or negative tiles).</figcaption></figure></div>"
        let what = comparison.task == .classification ? "top-1 class" : "label set"
        s += "<p class=\"note\">Labelled tiles by whose \(what) is right: both \(pair.bothRight), only \(HTML.escape(pair.a)) "
            + "\(pair.onlyA), only \(HTML.escape(pair.b)) \(pair.onlyB), neither \(pair.neither). "
            + "\(pair.disagreements.count) tiles get different predictions.</p>"
        s += mcnemarNote(pair)
        if !pair.disagreements.isEmpty {
            s += "<table class=\"sortable\"><thead><tr><th class=\"name\">tile</th><th class=\"name\">label</th>"
                + "<th class=\"name\">\(HTML.escape(pair.a))</th><th class=\"name\">\(HTML.escape(pair.b))</th></tr></thead><tbody>"
            for d in pair.disagreements.prefix(200) {
                s += "<tr><td class=\"name\">\(HTML.escape(d.tile))</td><td class=\"name\">\(HTML.escape(d.label ?? "—"))</td>"
                    + "<td class=\"name\">\(HTML.escape(d.a))</td><td class=\"name\">\(HTML.escape(d.b))</td></tr>"
            }
            s += "</tbody></table>"
        }
        return s
    }

    private func perClass(_ report: ClassificationReport) -> [TileClassMetrics] {
        switch report.metrics {
        case .classification(let m): m.perClass
        case .multilabel(let m): m.perClass
        }
    }
}
