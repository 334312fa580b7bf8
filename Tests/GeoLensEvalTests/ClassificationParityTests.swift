import Foundation
import GeoLensEval
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// Tile-task metrics against torchmetrics 1.9 (`scripts/reference/classification_torchmetrics.py`)
/// on adversarial cases: ties, scores at the threshold, absent classes, labels without negatives.
/// Per-class values torchmetrics returns as 0 for a 0/0 (or an AUROC without positives or
/// negatives) are nil in GeoLens; AP it returns as NaN is nil in both.
@Suite("Classification metrics agree with torchmetrics")
struct ClassificationParityTests {
    static let cases: [ClassificationCase] = (try? ClassificationCase.load()) ?? []

    @Test("Fixture file is present and covers both tasks")
    func fixtureLoads() throws {
        let cases = try ClassificationCase.load()
        #expect(cases.filter { $0.task == "classification" }.count >= 6)
        #expect(cases.filter { $0.task == "multilabel" }.count >= 4)
    }

    /// GeoLens's per-class value as torchmetrics writes it: nil for 0/0 becomes 0.
    static func asTorchmetrics(_ value: Double?, undefined: Bool) -> Double? { undefined ? (value ?? 0) : value }

    @Test("Classification metrics match at 1e-6", arguments: cases.filter { $0.task == "classification" })
    func classification(_ c: ClassificationCase) throws {
        let m = ClassificationMetrics(c.state)
        let e = c.expected
        expectNear(m.overallAccuracy, e.overallAccuracy, "overall_accuracy")
        expectNear(m.accuracyMacro, e.accuracyMacro, "accuracy_macro")
        expectNear(m.precisionMacro, e.precisionMacro, "precision_macro")
        expectNear(m.recallMacro, e.recallMacro, "recall_macro")
        expectNear(m.f1Macro, e.f1Macro, "f1_macro")
        expectNear(m.f1Micro, e.f1Micro, "f1_micro")
        expectNear(m.f1Weighted, e.f1Weighted, "f1_weighted")
        expectNear(m.kappa, e.kappa, "kappa")
        expectNear(m.aurocMacro, e.aurocMacro, "auroc_macro")
        expectNear(m.averagePrecisionMacro, e.averagePrecisionMacro, "average_precision_macro")
        expectNear(m.ece, e.ece, "ece")
        let topK = e.topKAccuracy ?? [:]
        #expect(Set(m.topKAccuracy.keys.map(String.init)) == Set(topK.keys), "top-k entries")
        for (k, value) in topK {
            // torchmetrics where no label ties across the k-th place; the lower-index rule everywhere.
            if e.topKBoundaryTies?[k] == 0 { expectNear(m.topKAccuracy[Int(k)!] ?? nil, value, "top_k_accuracy[\(k)]") }
            expectNear(m.topKAccuracy[Int(k)!] ?? nil, e.topKAccuracyLowerIndex?[k], tolerance: 1e-12, "top_k_accuracy[\(k)], lower-index ties")
        }
        guard case .matrix(let confusion) = e.confusion else { Issue.record("confusion layout"); return }
        #expect(m.confusion.rows == confusion, "confusion matrix")
        for k in 0..<c.classes {
            let p = m.perClass[k]
            expectNear(Self.asTorchmetrics(p.precision, undefined: p.precision == nil), e.precision[k], "precision[\(k)]")
            expectNear(Self.asTorchmetrics(p.recall, undefined: p.recall == nil), e.recall[k], "recall[\(k)]")
            expectNear(Self.asTorchmetrics(p.f1, undefined: p.f1 == nil), e.f1[k], "f1[\(k)]")
            expectNear(Self.asTorchmetrics(p.auroc, undefined: p.auroc == nil), e.auroc[k], "auroc[\(k)]")
            // No positives: nil here; torchmetrics NaN, or 0 when every label is class 0 (its quirk).
            let everyLabelZero = c.state.labelledTiles.allSatisfy { $0.target == .single(0) }
            expectNear(p.averagePrecision ?? (everyLabelZero ? 0 : nil), e.averagePrecision[k], "average_precision[\(k)]")
        }
    }

    @Test("Multi-label metrics match at 1e-6", arguments: cases.filter { $0.task == "multilabel" })
    func multilabel(_ c: ClassificationCase) throws {
        let m = MultilabelMetrics(c.state)
        let e = c.expected
        expectNear(m.precisionMacro, e.precisionMacro, "precision_macro")
        expectNear(m.recallMacro, e.recallMacro, "recall_macro")
        expectNear(m.f1Macro, e.f1Macro, "f1_macro")
        expectNear(m.f1Micro, e.f1Micro, "f1_micro")
        expectNear(m.hammingDistance, e.hammingDistance, "hamming_distance")
        expectNear(m.exactMatch, e.exactMatch, "exact_match")
        expectNear(m.aurocMacro, e.aurocMacro, "auroc_macro")
        expectNear(m.averagePrecisionMacro, e.averagePrecisionMacro, "average_precision_macro")
        guard case .stack(let confusion) = e.confusion else { Issue.record("confusion layout"); return }
        #expect(m.confusion.map(\.rows) == confusion, "per-label confusion")
        for k in 0..<c.classes {
            let p = m.perClass[k]
            expectNear(Self.asTorchmetrics(p.precision, undefined: p.precision == nil), e.precision[k], "precision[\(k)]")
            expectNear(Self.asTorchmetrics(p.recall, undefined: p.recall == nil), e.recall[k], "recall[\(k)]")
            expectNear(Self.asTorchmetrics(p.f1, undefined: p.f1 == nil), e.f1[k], "f1[\(k)]")
            expectNear(Self.asTorchmetrics(p.auroc, undefined: p.auroc == nil), e.auroc[k], "auroc[\(k)]")
            expectNear(Self.asTorchmetrics(p.averagePrecision, undefined: p.averagePrecision == nil), e.averagePrecision[k],
                       "average_precision[\(k)]")
        }
    }

    @Test("Shards merge into byte-identical metrics.json", arguments: cases)
    func shardMerge(_ c: ClassificationCase) throws {
        let whole = c.state
        var shards = (0..<3).map { _ in ClassificationState(configuration: c.configuration) }
        for (i, (id, scores)) in c.tiles.enumerated() { shards[(i * 7) % 3].record(scores, tile: id) }
        // Through state.json text, as `geolens merge` reads the shards.
        let decoded = try shards.map { try JSONDecoder().decode(ClassificationState.self, from: $0.jsonData()) }
        let merged = try ClassificationState.merge(decoded.reversed())
        #expect(merged == whole)
        let a = try ClassificationReport(state: whole, geolensVersion: "test").jsonData()
        let b = try ClassificationReport(state: merged, geolensVersion: "test").jsonData()
        #expect(a == b)
    }
}

/// The tile bootstrap of tile tasks.
@Suite struct ClassificationBootstrapTests {
    @Test("Intervals hold the point estimate and do not depend on the thread count",
          arguments: ClassificationParityTests.cases.filter { $0.name == "random_k4" || $0.name == "random_l4" })
    func intervals(_ c: ClassificationCase) throws {
        let state = c.state
        let options = BootstrapOptions(resamples: 400, seed: 3)
        let report = ClassificationReport(state: state, geolensVersion: "test", bootstrap: options)
        let point: [String: Double?] = switch report.metrics {
        case .classification(let m): ["overall_accuracy": m.overallAccuracy, "accuracy_macro": m.accuracyMacro,
                                      "f1_macro": m.f1Macro, "kappa": m.kappa,
                                      "auroc_macro": m.aurocMacro, "average_precision_macro": m.averagePrecisionMacro]
        case .multilabel(let m): ["f1_macro": m.f1Macro, "f1_micro": m.f1Micro, "exact_match": m.exactMatch,
                                  "hamming_distance": m.hammingDistance,
                                  "auroc_macro": m.aurocMacro, "average_precision_macro": m.averagePrecisionMacro]
        }
        #expect(Set(report.ci95.keys) == Set(point.keys))
        for (key, value) in point {
            let interval = try #require(report.ci95[key] ?? nil, "\(key)")
            let estimate = try #require(value)
            #expect(interval.lower < interval.upper && interval.contains(estimate), "\(key): \(interval)")
        }
        let single = Parallel.withThreadCount(1) {
            ClassificationBootstrap.intervals(state, options: options)
                .merging(ClassificationBootstrap.rankingIntervals(state, options: options)) { a, _ in a }
        }
        #expect(single == report.ci95)
    }
}
