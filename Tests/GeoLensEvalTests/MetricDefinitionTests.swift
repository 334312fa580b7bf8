import GeoLensEval
import Testing

/// METRICS.md definitions on a matrix small enough to work out by hand.
@Suite("Metric definitions")
struct MetricDefinitionTests {
    /// Class 2 is absent from reference and prediction; class 3 is predicted but never labelled.
    static let matrix = ConfusionMatrix(rows: [
        [5, 1, 0, 2],
        [2, 3, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
    ])

    @Test("Per-class counts")
    func counts() {
        let m = Self.matrix
        #expect((0..<4).map(m.truePositives) == [5, 3, 0, 0])
        #expect((0..<4).map(m.falsePositives) == [2, 1, 0, 2])
        #expect((0..<4).map(m.falseNegatives) == [3, 2, 0, 0])
        #expect((0..<4).map(m.support) == [8, 5, 0, 0])
        #expect((0..<4).map(m.predicted) == [7, 4, 0, 2])
        #expect(m.total == 13)
    }

    @Test("Hand-computed values, nil for 0/0, absent class excluded, phantom class counted as 0")
    func handComputed() {
        let m = SegmentationMetrics(Self.matrix)
        let tolerance = 1e-15
        func close(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) <= tolerance } ?? false }
        #expect(m.perClass.map(\.iou) == [0.5, 0.5, nil, 0])
        #expect(m.perClass.map(\.precision) == [5.0 / 7, 0.75, nil, 0])
        #expect(m.perClass.map(\.recall) == [0.625, 0.6, nil, nil])
        #expect(m.perClass[2].f1 == nil && m.perClass[3].f1 == 0 && m.perClass[3].dice == 0)
        #expect(close(m.perClass[0].f1, 2.0 / 3) && close(m.perClass[1].f1, 2.0 / 3))
        #expect(close(m.overallAccuracy, 8.0 / 13))
        #expect(m.f1Micro == m.overallAccuracy)
        #expect(close(m.miou, 1.0 / 3))
        #expect(close(m.miouMicro, 4.0 / 9))
        #expect(close(m.precisionMacro, (5.0 / 7 + 0.75 + 0) / 3))
        #expect(close(m.recallMacro, (0.625 + 0.6 + 0) / 3))
        #expect(close(m.f1Macro, 4.0 / 9))
        #expect(m.diceMacro == m.f1Macro)
        #expect(close(m.kappa, 28.0 / 93))
    }

    @Test("No scored pixel: every ratio is nil")
    func empty() {
        let m = SegmentationMetrics(ConfusionMatrix(classCount: 3))
        #expect(m.overallAccuracy == nil && m.miou == nil && m.miouMicro == nil && m.kappa == nil)
        #expect(m.f1Macro == nil && m.precisionMacro == nil && m.recallMacro == nil)
        #expect(m.perClass.allSatisfy { $0.iou == nil && $0.precision == nil })
    }

    @Test("Perfect agreement on one class leaves kappa undefined (p_e = 1)")
    func kappaUndefined() {
        let m = SegmentationMetrics(ConfusionMatrix(rows: [[9, 0], [0, 0]]))
        #expect(m.overallAccuracy == 1 && m.miou == 1)
        #expect(m.kappa == nil)
    }

    @Test("Merging adds counts")
    func merge() {
        var a = Self.matrix
        a.merge(ConfusionMatrix(rows: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]))
        #expect(a.total == 17)
        #expect(a[2, 2] == 1 && a[0, 0] == 6)
        #expect(Self.matrix + Self.matrix == ConfusionMatrix(classCount: 4, counts: Self.matrix.counts.map { 2 * $0 }))
    }

    @Test("ECE from bins worked out by hand; confidence 1 goes to the extra slot")
    func calibration() throws {
        var bins = CalibrationBins()
        bins.add(confidence: 0.95, correct: true)
        bins.add(confidence: 0.95, correct: false)
        bins.add(confidence: 0.55, correct: true)
        #expect(abs(try #require(bins.expectedCalibrationError) - 0.45) < 1e-15)
        #expect(bins.counts[14] == 2 && bins.counts[8] == 1)
        bins.add(confidence: 1.0, correct: true)
        #expect(bins.counts[15] == 1)
        #expect(bins.reliability.count == 16 && bins.reliability[15].lower == 1)
        // Edges are left-closed: a confidence on an edge goes to the bin above it.
        var edge = CalibrationBins()
        edge.add(confidence: CalibrationBins.edges(binCount: 15)[3], correct: true)
        #expect(edge.counts[3] == 1)
        #expect(CalibrationBins().expectedCalibrationError == nil)
    }
}
