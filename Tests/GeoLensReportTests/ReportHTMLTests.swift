import Foundation
import GeoLensEval
import GeoLensReport
import Testing

@Suite("Run and comparison reports: well-formed, self-contained, escaped")
struct ReportHTMLTests {
    static let hostile = "<script>alert(1)</script>"
    static let classes = ["clear", "cloud", hostile]

    static func runReport() throws -> RunReport {
        let state = ReportTestData.state(classes: classes, skill: 0.8)
        let metrics = MetricsReport(state: state, geolensVersion: "0.1.0", bootstrap: BootstrapOptions(resamples: 200))
        let gallery = try state.sortedTileIDs.map { id in
            RunReport.TileGallery(tile: id, thumbnails: [
                RunReport.Thumbnail(label: "composite", png: try ReportTestData.thumbnail(RGBA(10, 20, 30))),
                RunReport.Thumbnail(label: "prediction", png: try ReportTestData.thumbnail(RGBA(200, 0, 0))),
            ])
        }
        return RunReport(metrics: metrics, tiles: state.tileResults,
                         manifest: [("checkpoint", "/models/<b>a&b</b>.safetensors"), ("config", "a=\"1\"")],
                         galleries: gallery, worstTileCount: 5, entropyValues: [0.1, 0.5, 0.9],
                         trainingHistory: [("loss", [1, 0.5, 0.3])],
                         attributions: [.init(tile: "tile_00", method: "gradcam", className: hostile,
                                              png: try ReportTestData.thumbnail(RGBA(0, 0, 255), size: 16))])
    }

    @Test("report.html parses as XML, embeds decodable PNGs and has no external URL")
    func runReportEmbedded() throws {
        let (html, files) = try Self.runReport().render(images: .embedded)
        #expect(files.isEmpty)
        let parsed = ReportTestData.parse(html)
        #expect(parsed.wellFormed, "\(parsed.error)")
        // 5 worst tiles x 2 thumbnails + 1 attribution.
        #expect(parsed.sources.count == 11)
        let images = try ReportTestData.decodeImages(parsed.sources)
        #expect(images.first?.color(x: 0, y: 0) == RGBA(10, 20, 30))
        #expect(images.last?.width == 16)
        #expect(parsed.links.allSatisfy { $0.hasPrefix("#") })
        #expect(!html.contains("http://") || !html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/", with: "").contains("http"))
        #expect(!html.contains("https://"))
        #expect(html.contains("Worst tiles") && html.contains("Reliability diagram") && html.contains("Training curves"))
    }

    @Test("Images beside the report are written and every reference resolves")
    func runReportBeside() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try Self.runReport().write(to: directory, images: .beside(folder: "report_files"))
        let html = try String(contentsOf: url, encoding: .utf8)
        let parsed = ReportTestData.parse(html)
        #expect(parsed.wellFormed)
        #expect(parsed.sources.allSatisfy { $0.hasPrefix("report_files/") })
        let images = try ReportTestData.decodeImages(parsed.sources, relativeTo: directory)
        #expect(images.count == 11)
        #expect(images[1].color(x: 3, y: 3) == RGBA(200, 0, 0))
    }

    @Test("A class named <script>alert(1)</script> is escaped in both reports")
    func escaping() throws {
        let (runHTML, _) = try Self.runReport().render()
        let (comparisonHTML, _) = try Self.comparison().render()
        for html in [runHTML, comparisonHTML] {
            #expect(!html.contains("<script>alert"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(ReportTestData.parse(html).wellFormed)
        }
        #expect(runHTML.contains("&lt;b&gt;a&amp;b&lt;/b&gt;") && runHTML.contains("a=&quot;1&quot;"))
    }

    static func comparison() throws -> ComparisonReport {
        let runs = [
            ComparedRun(name: "baseline", path: "runs/a", state: ReportTestData.state(classes: classes, skill: 0.6)),
            ComparedRun(name: "candidate", path: "runs/<b>", state: ReportTestData.state(classes: classes, skill: 0.8)),
        ]
        let summary = try ComparisonSummary(runs: runs, geolensVersion: "0.1.0", bootstrap: BootstrapOptions(resamples: 200))
        let thumb = try ReportTestData.thumbnail(RGBA(1, 2, 3))
        return ComparisonReport(summary: summary,
                                disagreements: [.init(tile: "tile_01", disagreement: 0.25,
                                                      thumbnails: [.init(label: "baseline", png: thumb), .init(label: "disagreement", png: thumb)])],
                                attributions: [.init(tile: "tile_01", method: "gradcam", className: "cloud",
                                                     maps: [.init(label: "baseline", png: thumb), .init(label: "candidate", png: thumb)])])
    }

    @Test("comparison.html and comparison.json: deltas, p-values, win/loss counts")
    func comparisonOutputs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cmp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try Self.comparison()
        try report.write(to: directory)
        let html = try String(contentsOf: directory.appendingPathComponent("comparison.html"), encoding: .utf8)
        let parsed = ReportTestData.parse(html)
        #expect(parsed.wellFormed, "\(parsed.error)")
        #expect(try ReportTestData.decodeImages(parsed.sources).count == 4)
        let json = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("comparison.json"))) as? [String: Any])
        let pairs = try #require(json["pairs"] as? [[String: Any]])
        #expect(pairs.count == 1)
        let comparisons = try #require(pairs[0]["comparisons"] as? [[String: Any]])
        let miou = try #require(comparisons.first { $0["metric"] as? String == "miou" })
        let delta = try #require(miou["delta"] as? Double)
        #expect(delta > 0.1)
        #expect(try #require(miou["p_value"] as? Double) < 0.05)
        let tiles = try #require(pairs[0]["tiles"] as? [String: Int])
        #expect(tiles["b_better"] == 8 && tiles["a_better"] == 0)
        #expect((json["runs"] as? [[String: Any]])?.count == 2)
    }

    @Test("Identical runs have zero deltas and p = 1")
    func identicalRuns() throws {
        let state = ReportTestData.state(classes: ["a", "b"], skill: 0.7)
        let summary = try ComparisonSummary(runs: [ComparedRun(name: "x", path: "x", state: state), ComparedRun(name: "y", path: "y", state: state)],
                                            geolensVersion: "0", bootstrap: BootstrapOptions(resamples: 100))
        #expect(summary.pairs[0].comparisons.allSatisfy { $0.delta == 0 && $0.pValue == 1 })
        #expect(summary.pairs[0].tiles.ties == 8)
    }

    @Test("Different tile sets or classes are refused; --common-subset compares the shared tiles")
    func mismatches() throws {
        let a = ComparedRun(name: "a", path: "runs/a", state: ReportTestData.state(classes: ["x", "y"], tileCount: 6, skill: 0.7))
        let b = ComparedRun(name: "b", path: "runs/b", state: ReportTestData.state(classes: ["x", "y"], tileCount: 4, skill: 0.7))
        let c = ComparedRun(name: "c", path: "runs/c", state: ReportTestData.state(classes: ["x", "z"], skill: 0.7))
        let tileError = #expect(throws: ComparisonError.self) { try ComparisonInputs.prepare([a, b], commonSubset: false) }
        #expect(tileError?.code == .tileSetMismatch && tileError?.message.contains("--common-subset") == true)
        let classError = #expect(throws: ComparisonError.self) { try ComparisonInputs.prepare([a, c], commonSubset: true) }
        #expect(classError?.code == .classMismatch && classError?.message.contains("runs/c") == true)
        let (runs, dropped) = try ComparisonInputs.prepare([a, b], commonSubset: true)
        #expect(dropped == 2 && runs.allSatisfy { $0.state.tiles.count == 4 })
        #expect(throws: ComparisonError.self) { try ComparisonInputs.prepare([a], commonSubset: true) }
    }
}
