import GeoLensEval

/// Tables and metric cards shared by the run and comparison reports.
enum ReportTables {
    /// Display names of the summary metrics, in report order.
    static let summaryRows: [(SummaryMetric, String)] = [
        (.miou, "mIoU (macro)"), (.overallAccuracy, "overall accuracy"), (.miouMicro, "IoU (micro)"),
        (.f1Macro, "F1 / Dice (macro)"), (.precisionMacro, "precision (macro)"), (.recallMacro, "recall (macro)"),
        (.kappa, "Cohen's kappa"),
    ]

    /// The headline cards: value and 95% bootstrap interval when computed.
    static func headlineCards(_ report: MetricsReport) -> String {
        var s = "<div class=\"cards\">"
        for (metric, name) in summaryRows {
            let value = report.metrics.value(of: metric)
            let interval = report.ci95[metric] ?? nil
            s += "<div class=\"card\"><div class=\"k\">\(HTML.escape(name))</div><div class=\"v\">\(HTML.number(value, digits: 4))</div>"
            if let interval {
                s += "<div class=\"ci\">95% CI [\(HTML.number(interval.lower)), \(HTML.number(interval.upper))]</div>"
            }
            s += "</div>"
        }
        s += "</div><p class=\"note\">Intervals: percentile bootstrap over tiles (resampling whole tiles). "
            + "F1 micro equals overall accuracy for single-label segmentation, so it is not listed separately.</p>"
        return s
    }

    /// One row per class: IoU, precision, recall, F1, support, predicted.
    static func perClass(_ report: MetricsReport) -> String {
        var s = "<table class=\"sortable\"><thead><tr><th class=\"name\">class</th><th>IoU</th><th>precision</th><th>recall</th>"
            + "<th>F1 / Dice</th><th>reference pixels</th><th>predicted pixels</th></tr></thead><tbody>"
        for (name, c) in zip(report.classes, report.metrics.perClass) {
            s += "<tr><td class=\"name\">\(HTML.escape(name))</td>"
            for value in [c.iou, c.precision, c.recall, c.f1] {
                s += "<td data-v=\"\(value ?? -1)\">\(HTML.number(value))</td>"
            }
            s += "<td>\(c.support)</td><td>\(c.predicted)</td></tr>"
        }
        return s + "</tbody></table><p class=\"note\">— marks a 0/0 value (the class is absent from reference and prediction).</p>"
    }

    /// Colour swatches of the default class palette (the colours of reference and prediction
    /// thumbnails), plus the error-map colours.
    static func classLegend(_ classes: [String]) -> String {
        let palette = ClassPalette(classCount: classes.count)
        func swatch(_ color: RGBA, _ label: String) -> String {
            "<span style=\"display:inline-block;margin-right:14px\"><span style=\"display:inline-block;width:12px;height:12px;border:1px solid #777;background:\(color.hex)\"></span> \(HTML.escape(label))</span>"
        }
        return "<p class=\"note\">Classes: " + zip(palette.colors, classes).map { swatch($0, $1) }.joined()
            + swatch(palette.nodata, "nodata / ignored") + "</p>"
    }

    /// Thumbnail column labels: every label of any row, in order of first appearance.
    static func columnLabels(_ rows: [[RunReport.Thumbnail]]) -> [String] {
        var labels: [String] = []
        for label in rows.flatMap({ $0.map(\.label) }) where !labels.contains(label) { labels.append(label) }
        return labels
    }

    /// The uncertainty block as a small table.
    static func uncertainty(_ u: UncertaintySummary) -> String {
        "<table><tbody>"
            + "<tr><th class=\"name\">mean entropy (nats)</th><td>\(HTML.number(u.meanEntropy))</td></tr>"
            + "<tr><th class=\"name\">mean entropy / ln C</th><td>\(HTML.number(u.meanEntropyNormalized))</td></tr>"
            + "<tr><th class=\"name\">ECE (\(u.eceBins) bins)</th><td>\(HTML.number(u.ece))</td></tr>"
            + "<tr><th class=\"name\">MC-dropout mutual information</th><td>\(u.mutualInformation.map { HTML.number($0) } ?? "not computed")</td></tr>"
            + "</tbody></table>"
    }
}
