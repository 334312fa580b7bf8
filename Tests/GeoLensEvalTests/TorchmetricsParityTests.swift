import GeoLensEval
import GeoLensTestSupport
import Testing

/// Every metric recomputed from the fixture batches and compared with torchmetrics 1.9
/// (float64 reduce functions at 1e-12; the float32 public classes at 2e-6).
@Suite("Metrics agree with torchmetrics")
struct TorchmetricsParityTests {
    static let cases: [MetricsCase] = (try? MetricsFixtureFile.load()) ?? []

    @Test("Fixture file is present and complete")
    func fixtureLoads() throws {
        let cases = try MetricsFixtureFile.load()
        #expect(cases.count >= 10)
    }

    @Test("Dataset metrics match at 1e-12", arguments: cases)
    func datasetMetrics(_ c: MetricsCase) {
        let state = c.accumulate()
        let report = MetricsReport(state: state, geolensVersion: "test", bootstrap: BootstrapOptions(resamples: 10))
        let e = c.expected
        #expect(report.confusion.rows == e.confusion, "confusion matrix")
        #expect(report.pixels == e.pixels, "scored pixels")
        #expect(report.ignoredPixels == e.ignoredPixels, "ignored pixels")
        #expect(report.tiles == Set(c.tiles).count)
        let m = report.metrics
        expectClose(m.overallAccuracy, e.overallAccuracy, "overall_accuracy")
        expectClose(m.miou, e.miou, "miou")
        expectClose(m.miouMicro, e.miouMicro, "miou_micro")
        expectClose(m.precisionMacro, e.precisionMacro, "precision_macro")
        expectClose(m.recallMacro, e.recallMacro, "recall_macro")
        expectClose(m.f1Macro, e.f1Macro, "f1_macro")
        expectClose(m.diceMacro, e.f1Macro, "dice_macro")
        expectClose(m.f1Micro, e.f1Micro, "f1_micro")
        expectClose(m.kappa, e.kappa, "kappa")
        for k in 0..<c.classes {
            expectClose(m.perClass[k].iou, e.iou[k], "iou[\(k)]")
            expectClose(m.perClass[k].precision, e.precision[k], "precision[\(k)]")
            expectClose(m.perClass[k].recall, e.recall[k], "recall[\(k)]")
            expectClose(m.perClass[k].f1, e.f1[k], "f1[\(k)]")
            #expect(m.perClass[k].support == e.confusion[k].reduce(0, +))
            #expect(m.perClass[k].predicted == e.confusion.reduce(0) { $0 + $1[k] })
        }
        expectClose(report.uncertainty.ece, e.ece, "ece")
        expectClose(report.uncertainty.meanEntropy, e.meanEntropy, "mean_entropy")
        expectClose(report.uncertainty.meanEntropyNormalized, e.meanEntropyNormalized, "mean_entropy_normalized")
        expectClose(report.uncertainty.mutualInformation, e.mutualInformation, "mutual_information")
    }

    @Test("Per-tile rows match at 1e-12", arguments: cases)
    func perTileRows(_ c: MetricsCase) {
        let rows = c.accumulate().tileResults
        #expect(rows.map(\.tile) == c.expected.perTile.map(\.tile))
        for (row, e) in zip(rows, c.expected.perTile) {
            #expect(row.pixels == e.pixels && row.ignored == e.ignored, "tile \(e.tile) pixel counts")
            expectClose(row.accuracy, e.accuracy, "tile \(e.tile) accuracy")
            expectClose(row.miou, e.miou, "tile \(e.tile) miou")
            expectClose(row.meanEntropy, e.meanEntropy, "tile \(e.tile) mean_entropy")
            for k in 0..<c.classes { expectClose(row.iou[k], e.iou[k], "tile \(e.tile) iou[\(k)]") }
        }
    }

    @Test("Agrees with torchmetrics' public float32 classes", arguments: cases)
    func publicClasses(_ c: MetricsCase) throws {
        guard let api = c.torchmetrics else {
            #expect(c.torchmetricsDiffers["all"] != nil, "a case without public-API values must say why")
            return
        }
        let report = MetricsReport(state: c.accumulate(), geolensVersion: "test", bootstrap: BootstrapOptions(resamples: 1))
        let m = report.metrics
        let pairs: [(String, Double?, Double?)] = [
            ("overall_accuracy", m.overallAccuracy, api.overallAccuracy), ("miou", m.miou, api.miou),
            ("miou_micro", m.miouMicro, api.miouMicro), ("precision_macro", m.precisionMacro, api.precisionMacro),
            ("recall_macro", m.recallMacro, api.recallMacro), ("f1_macro", m.f1Macro, api.f1Macro),
            ("f1_micro", m.f1Micro, api.f1Micro), ("kappa", m.kappa, api.kappa), ("ece", report.uncertainty.ece, api.ece),
        ]
        for (key, ours, theirs) in pairs where c.torchmetricsDiffers[key] == nil {
            expectClose(ours, theirs, tolerance: 2e-6, key)
        }
        for k in 0..<c.classes where c.torchmetricsDiffers["iou[\(k)]"] == nil {
            // torchmetrics writes 0 where METRICS.md has null (0/0).
            expectClose(m.perClass[k].iou ?? 0, api.iou[k], tolerance: 2e-6, "iou[\(k)]")
            expectClose(m.perClass[k].precision ?? 0, api.precision[k], tolerance: 2e-6, "precision[\(k)]")
            expectClose(m.perClass[k].recall ?? 0, api.recall[k], tolerance: 2e-6, "recall[\(k)]")
            expectClose(m.perClass[k].f1 ?? 0, api.f1[k], tolerance: 2e-6, "f1[\(k)]")
        }
    }

    @Test("Image-by-image streaming gives the same state as whole batches", arguments: cases)
    func streamingIsBatchIndependent(_ c: MetricsCase) throws {
        let whole = c.accumulate()
        let streamed = c.accumulate(imageByImage: true)
        #expect(try whole.jsonData() == streamed.jsonData())
    }

    @Test("Saturated softmax confidences land in the slot past the last bin, as in torchmetrics")
    func saturatedConfidenceSlot() throws {
        let c = try #require(Self.cases.first { $0.name == "adversarial_c3" })
        let calibration = c.accumulate().totals.calibration
        #expect(calibration.counts.count == 16)
        #expect(calibration.counts[15] == 2)
    }
}
