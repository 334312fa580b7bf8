import Foundation
import GeoLensEval
import Testing

/// `ClassificationComparison`: paired deltas of tile-task runs on the same tiles.
@Suite struct ClassificationComparisonTests {
    static let configuration = ClassificationConfiguration(task: .classification, classes: ["a", "b", "c"])

    /// 60 tiles; run B is right on every tile, run A on the first `right` tiles only.
    func states(right: Int) -> (ClassificationState, ClassificationState) {
        var a = ClassificationState(configuration: Self.configuration), b = ClassificationState(configuration: Self.configuration)
        for i in 0..<60 {
            let label = i % 3, wrong = (label + 1) % 3, id = String(format: "t%02d", i)
            func scores(_ top: Int) -> [Float] { (0..<3).map { $0 == top ? 0.8 : 0.1 } }
            a.record(TileScores(probabilities: scores(i < right ? label : wrong), target: .single(label)), tile: id)
            b.record(TileScores(probabilities: scores(label), target: .single(label)), tile: id)
        }
        return (a, b)
    }

    @Test func identicalRunsHaveZeroDeltasAndPValueOne() throws {
        let (a, _) = states(right: 40)
        let comparison = try ClassificationComparison([("A", "/a", a), ("B", "/b", a)], geolensVersion: "test",
                                                      bootstrap: BootstrapOptions(resamples: 200))
        let pair = try #require(comparison.pairs.first)
        for delta in pair.deltas {
            #expect(delta.delta == 0, "\(delta.metric)")
            if delta.ci95 != nil { #expect(delta.pValue == 1 && delta.ci95 == ConfidenceInterval(lower: 0, upper: 0), "\(delta.metric)") }
        }
        #expect(pair.bothRight == 40 && pair.neither == 20 && pair.onlyA == 0 && pair.onlyB == 0 && pair.disagreements.isEmpty)
    }

    @Test func aClearlyBetterRunHasASmallPValueAndAnIntervalAboveZero() throws {
        let (a, b) = states(right: 30)
        let comparison = try ClassificationComparison([("A", "/a", a), ("B", "/b", b)], geolensVersion: "test",
                                                      bootstrap: BootstrapOptions(resamples: 500, seed: 1))
        let pair = try #require(comparison.pairs.first)
        let accuracy = try #require(pair.deltas.first { $0.metric == "overall_accuracy" })
        #expect(accuracy.a == 0.5 && accuracy.b == 1 && accuracy.delta == 0.5)
        let interval = try #require(accuracy.ci95)
        #expect(interval.lower > 0 && interval.contains(0.5))
        #expect(try #require(accuracy.pValue) < 0.01)
        #expect(pair.onlyB == 30 && pair.bothRight == 30 && pair.disagreements.count == 30)
        #expect(pair.deltas.map(\.metric).suffix(2) == ["auroc_macro", "average_precision_macro"])
        let json = String(decoding: try comparison.jsonData(), as: UTF8.self)
        #expect(json.contains("\"p_value\"") && json.contains("\"only_b\" : 30"))
    }

    @Test func differentTilesOrLabelsAreRefused() throws {
        let (a, b) = states(right: 30)
        var fewer = ClassificationState(configuration: Self.configuration)
        for id in b.sortedTileIDs.dropLast() { fewer.record(b.tiles[id]!, tile: id) }
        #expect(throws: EvaluationError.self) { try ClassificationComparison([("A", "/a", a), ("B", "/b", fewer)], geolensVersion: "t") }
        let subset = try ClassificationComparison([("A", "/a", a), ("B", "/b", fewer)], commonSubset: true, geolensVersion: "t",
                                                  bootstrap: BootstrapOptions(resamples: 10))
        #expect(subset.tiles == 59)
        var relabelled = b
        relabelled.record(TileScores(probabilities: [0.8, 0.1, 0.1], target: .single(2)), tile: "t00")
        let error = #expect(throws: EvaluationError.self) {
            try ClassificationComparison([("A", "/a", a), ("B", "/b", relabelled)], geolensVersion: "t")
        }
        #expect(error?.message.contains("tile \"t00\" has different labels") == true)
    }
}
