public import Foundation
public import GeoLensEval

/// The report of a tile-task evaluation (`report.html` of a classification or multi-label run):
/// manifest, headline metrics, the per-class table, the confusion matrix (or the per-label 2 x 2
/// matrices), exact ROC and precision-recall curves per class as inline SVG, the reliability
/// diagram (classification) and a sortable per-tile table of the least confident right and the
/// most confident wrong tiles first.
public struct ClassificationRunReport: Sendable {
    public var title: String
    public var state: ClassificationState
    public var report: ClassificationReport
    /// Manifest rows in display order.
    public var manifest: [(key: String, value: String)]
    /// Rows of the per-tile table.
    public var tileRowLimit: Int

    public init(title: String, state: ClassificationState, report: ClassificationReport,
                manifest: [(key: String, value: String)] = [], tileRowLimit: Int = 200) {
        self.title = title
        self.state = state
        self.report = report
        self.manifest = manifest
        self.tileRowLimit = tileRowLimit
    }

    public func render() -> String {
        let classes = state.configuration.classes
        let task = state.configuration.task
        var page = HTMLPage(title: title, subtitle: "\(task.rawValue) · \(report.tiles) tiles (\(report.unlabelledTiles) unlabelled) · "
                            + "classes: \(classes.joined(separator: ", "))")
        page.section("Run manifest", id: "manifest", manifestRows())
        page.section("Headline metrics", id: "headline", headlineCards())
        switch report.metrics {
        case .classification(let m):
            page.section("Per-class metrics", id: "classes", perClassTable(m.perClass, confusion: nil))
            page.section("Confusion matrix", id: "confusion",
                         "<figure>" + SVG.confusionMatrix(m.confusion.rows, classes: classes, title: "Confusion matrix")
                         + "<figcaption>Rows: reference class; columns: predicted class (top-1). Colour and large number: "
                         + "fraction of the reference row; small number: tile count.</figcaption></figure>")
            page.section("Calibration", id: "calibration", "<figure>"
                         + SVG.reliabilityDiagram(m.calibration.reliability, ece: m.ece, title: "Reliability diagram")
                         + "<figcaption>Accuracy per top-label confidence bin (\(m.calibration.binCount) bins).</figcaption></figure>")
        case .multilabel(let m):
            page.section("Per-label metrics", id: "classes", perClassTable(m.perClass, confusion: m.confusion)
                         + "<p class=\"note\">Thresholds: \(state.configuration.thresholds.map { SVG.format($0, digits: 3) }.joined(separator: ", ")) "
                         + "(a label is predicted when its probability is greater).</p>")
        }
        page.section("ROC and precision-recall curves", id: "curves", curves())
        page.section("Tiles", id: "tiles", tileTable())
        return page.render()
    }

    /// Writes `report.html` into `directory`.
    @discardableResult
    public func write(to directory: URL, fileName: String = "report.html") throws -> URL {
        try ReportFiles.write(html: render(), images: [:], mode: .embedded, to: directory, fileName: fileName)
        return directory.appendingPathComponent(fileName)
    }

    private func manifestRows() -> String {
        guard !manifest.isEmpty else { return "<p class=\"note\">No run manifest (run.json) was found.</p>" }
        return "<dl class=\"manifest\">" + manifest.map { "<dt>\(HTML.escape($0.key))</dt><dd>\(HTML.escape($0.value))</dd>" }.joined() + "</dl>"
    }

    private func headlineCards() -> String {
        var cards: [(String, Double?)]
        var note: String
        switch report.metrics {
        case .classification(let m):
            cards = [("overall accuracy", m.overallAccuracy), ("accuracy (macro)", m.accuracyMacro),
                     ("F1 (macro)", m.f1Macro), ("F1 (weighted)", m.f1Weighted), ("precision (macro)", m.precisionMacro),
                     ("recall (macro)", m.recallMacro), ("Cohen's kappa", m.kappa), ("AUROC (macro)", m.aurocMacro),
                     ("average precision (macro)", m.averagePrecisionMacro), ("ECE", m.ece)]
            cards += m.topKAccuracy.keys.sorted().map { ("top-\($0) accuracy", m.topKAccuracy[$0] ?? nil) }
            note = "F1 micro equals overall accuracy for single-label classification. As in torchmetrics 1.9, AUROC (macro) "
                + "counts a class without positive tiles as 0 and average precision (macro) leaves it out."
        case .multilabel(let m):
            cards = [("F1 (macro)", m.f1Macro), ("F1 (micro)", m.f1Micro), ("precision (macro)", m.precisionMacro),
                     ("recall (macro)", m.recallMacro), ("Hamming distance", m.hammingDistance), ("exact match", m.exactMatch),
                     ("AUROC (macro)", m.aurocMacro), ("average precision (macro)", m.averagePrecisionMacro)]
            note = "Macro means run over every label. AUROC (macro) counts a label without positive or negative tiles as 0, "
                + "and average precision (macro) one without positives as 0, as torchmetrics 1.9 does."
        }
        let keys = ["overall accuracy": "overall_accuracy", "accuracy (macro)": "accuracy_macro", "F1 (macro)": "f1_macro",
                    "Cohen's kappa": "kappa", "F1 (micro)": "f1_micro", "exact match": "exact_match",
                    "Hamming distance": "hamming_distance"]
        return "<div class=\"cards\">" + cards.map { name, value in
            var card = "<div class=\"card\"><div class=\"k\">\(HTML.escape(name))</div><div class=\"v\">\(HTML.number(value, digits: 4))</div>"
            if let key = keys[name], let interval = report.ci95[key] ?? nil {
                card += "<div class=\"ci\">95% CI [\(HTML.number(interval.lower)), \(HTML.number(interval.upper))]</div>"
            }
            return card + "</div>"
        }.joined() + "</div><p class=\"note\">\(HTML.escape(note)) Intervals: percentile bootstrap over tiles.</p>"
    }

    private func perClassTable(_ rows: [TileClassMetrics], confusion: [LabelConfusion]?) -> String {
        var s = "<table class=\"sortable\"><thead><tr><th class=\"name\">class</th><th>precision</th><th>recall</th><th>F1</th>"
            + "<th>AUROC</th><th>average precision</th><th>reference tiles</th><th>predicted tiles</th>"
            + (confusion == nil ? "" : "<th>tn</th><th>fp</th><th>fn</th><th>tp</th>") + "</tr></thead><tbody>"
        for (i, (name, c)) in zip(state.configuration.classes, rows).enumerated() {
            s += "<tr><td class=\"name\">\(HTML.escape(name))</td>"
            for value in [c.precision, c.recall, c.f1, c.auroc, c.averagePrecision] {
                s += "<td data-v=\"\(value ?? -1)\">\(HTML.number(value))</td>"
            }
            s += "<td>\(c.support)</td><td>\(c.predicted)</td>"
            if let confusion {
                let l = confusion[i]
                s += "<td>\(l.trueNegatives)</td><td>\(l.falsePositives)</td><td>\(l.falseNegatives)</td><td>\(l.truePositives)</td>"
            }
            s += "</tr>"
        }
        return s + "</tbody></table><p class=\"note\">— marks an undefined value: 0/0, or an AUROC without positive or "
            + "negative tiles, or an average precision without positive tiles.</p>"
    }

    /// The exact one-vs-rest curves of every class (the thresholds are the tiles' own scores).
    private func curves() -> String {
        let tiles = state.labelledTiles
        guard !tiles.isEmpty else { return "<p class=\"note\">No labelled tile: no curve to draw.</p>" }
        var roc: [SVG.Curve] = [], pr: [SVG.Curve] = []
        for (c, name) in state.configuration.classes.enumerated() {
            let curve = RankingCurve(scores: tiles.map { $0.probabilities[c] },
                                     positives: tiles.map { $0.target!.indices.contains(c) })
            guard curve.positiveCount > 0 else { continue }
            if curve.negativeCount > 0 {
                let (fpr, tpr) = curve.roc
                roc.append(SVG.Curve(name: "\(name) (AUROC \(SVG.format(curve.auroc ?? .nan, digits: 3)))", x: fpr, y: tpr))
            }
            if let (precision, recall) = curve.precisionRecall {
                pr.append(SVG.Curve(name: "\(name) (AP \(SVG.format(curve.averagePrecision ?? .nan, digits: 3)))", x: recall, y: precision))
            }
        }
        return "<div class=\"charts\"><figure>"
            + SVG.curveChart(roc, xLabel: "false-positive rate", yLabel: "true-positive rate", title: "ROC curves", diagonal: true)
            + "<figcaption>One-vs-rest ROC per class through every distinct score (exact, no binning). Classes without "
            + "positive or negative tiles have no curve.</figcaption></figure><figure>"
            + SVG.curveChart(pr, xLabel: "recall", yLabel: "precision", title: "Precision-recall curves")
            + "<figcaption>Precision-recall per class, as average precision sums it (no interpolation).</figcaption></figure></div>"
    }

    /// Tiles ordered by how wrong they are (`TileOutcome`): wrong ones first by confidence, then
    /// right ones by rising confidence; unlabelled tiles last.
    private func tileTable() -> String {
        let configuration = state.configuration
        let classes = configuration.classes
        struct Row { let id: String; let label: String; let predicted: String; let score: Double?; let wrong: Bool? }
        let ids = state.sortedTileIDs
        let outcomes = ids.map { TileOutcome(state.tiles[$0]!, configuration: configuration) }
        let rows = TileOutcome.order(outcomes, ids: ids).map { i in
            let outcome = outcomes[i]
            return Row(id: ids[i], label: outcome.reference.map { $0.map { classes[$0] }.joined(separator: "; ") } ?? "",
                       predicted: outcome.predicted.map { classes[$0] }.joined(separator: "; "),
                       score: outcome.score, wrong: outcome.wrong)
        }
        let scoreName = configuration.task == .classification ? "confidence" : "wrong labels"
        var s = "<p class=\"note\">\(min(rows.count, tileRowLimit)) of \(rows.count) tiles, "
            + (configuration.task == .classification ? "confident mistakes first" : "most wrong labels first")
            + "; every tile is in per_tile.csv. Click a column header to sort.</p>"
        s += "<table class=\"sortable\"><thead><tr><th class=\"name\">tile</th><th class=\"name\">label</th>"
            + "<th class=\"name\">predicted</th><th>\(scoreName)</th><th class=\"name\">right</th></tr></thead><tbody>"
        for row in rows.prefix(tileRowLimit) {
            s += "<tr><td class=\"name\">\(HTML.escape(row.id))</td><td class=\"name\">\(HTML.escape(row.label))</td>"
                + "<td class=\"name\">\(HTML.escape(row.predicted))</td><td data-v=\"\(row.score ?? -1)\">"
                + "\(HTML.number(row.score, digits: configuration.task == .classification ? 4 : 0))</td>"
                + "<td class=\"name\">\(row.wrong.map { $0 ? "<span class=\"worse\">no</span>" : "<span class=\"better\">yes</span>" } ?? "—")</td></tr>"
        }
        return s + "</tbody></table>"
    }
}
