import Foundation
@testable import GeoLensEval
import GeoLensTensor
import Testing

/// Bootstrap intervals of `auroc_macro` and `average_precision_macro`: each resample's values
/// equal the metrics of its drawn tiles listed with repeats (the same draws as the counting metrics).
@Suite("AUROC and average-precision bootstrap")
struct RankingBootstrapTests {
    static func tiles(task: TileTask, count: Int, classCount: Int, seed: UInt64) -> [TileScores] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            // Scores on a coarse grid, so that ties occur, and labels correlated with them.
            var p = (0..<classCount).map { _ in Float(Int(g.nextUniform() * 8)) / 8 + 0.01 }
            if task == .classification {
                let label = Int(g.next() % UInt64(classCount))
                p[label] += 0.3
                let sum = p.reduce(0, +)
                return TileScores(probabilities: p.map { $0 / sum }, target: .single(label))
            }
            let set = Set((0..<classCount).filter { p[$0] > 0.5 || g.nextUniform() < 0.15 })
            return TileScores(probabilities: p.map { min($0, 1) }, target: .multiple(set))
        }
    }

    /// The draws of resample r, as every tile-task bootstrap makes them.
    static func draws(_ r: Int, count: Int, seed: UInt64) -> [Int] {
        var rng = SeededGenerator(seed: seed).split(stream: UInt64(r))
        return (0..<count).map { _ in TileBootstrap.uniformIndex(below: count, using: &rng) }
    }

    @Test(arguments: [TileTask.classification, .multilabel])
    func resamplesEqualTheMetricsOfTheDrawnTiles(task: TileTask) throws {
        let classes = ["a", "b", "c", "d"]
        let configuration = ClassificationConfiguration(task: task, classes: classes,
                                                        thresholds: task == .multilabel ? [0.5, 0.5, 0.5, 0.5] : [])
        let tiles = Self.tiles(task: task, count: 60, classCount: 4, seed: 9)
        let options = BootstrapOptions(resamples: 40, seed: 21)
        let values = ClassificationBootstrap.rankingResampledValues(tiles, configuration: configuration, options: options)
        let other = Self.tiles(task: task, count: 60, classCount: 4, seed: 10).enumerated().map { i, t in
            TileScores(probabilities: t.probabilities, target: tiles[i].target)
        }
        let paired = ClassificationBootstrap.rankingResampledValues(other, paired: tiles, configuration: configuration, options: options)
        for r in 0..<options.resamples {
            let drawn = Self.draws(r, count: tiles.count, seed: options.seed)
            func macros(_ run: [TileScores]) -> (Double?, Double?) {
                let list = drawn.map { run[$0] }
                if task == .classification {
                    let m = ClassificationMetrics(tiles: list, classCount: 4)
                    return (m.aurocMacro, m.averagePrecisionMacro)
                }
                let m = MultilabelMetrics(tiles: list, thresholds: configuration.thresholds)
                return (m.aurocMacro, m.averagePrecisionMacro)
            }
            let (auroc, ap) = macros(tiles), (auroc2, ap2) = macros(other)
            #expect(abs(values[r * 2] - auroc!) <= 1e-12, "resample \(r) AUROC")
            #expect(abs(values[r * 2 + 1] - ap!) <= 1e-12, "resample \(r) AP")
            #expect(abs(paired[r * 2] - (auroc2! - auroc!)) <= 1e-12 && abs(paired[r * 2 + 1] - (ap2! - ap!)) <= 1e-12)
        }
    }

    @Test func metricsJSONCarriesTheIntervals() throws {
        var state = ClassificationState(configuration: ClassificationConfiguration(task: .classification, classes: ["a", "b", "c", "d"]))
        for (i, tile) in Self.tiles(task: .classification, count: 50, classCount: 4, seed: 3).enumerated() {
            state.record(tile, tile: String(format: "t%03d", i))
        }
        let report = ClassificationReport(state: state, geolensVersion: "test", bootstrap: BootstrapOptions(resamples: 200))
        let auroc = try #require(report.ci95["auroc_macro"] ?? nil), ap = try #require(report.ci95["average_precision_macro"] ?? nil)
        let point = ClassificationMetrics(state)
        #expect(auroc.lower <= point.aurocMacro! && point.aurocMacro! <= auroc.upper && auroc.lower < auroc.upper)
        #expect(ap.lower <= point.averagePrecisionMacro! && point.averagePrecisionMacro! <= ap.upper)
    }
}
