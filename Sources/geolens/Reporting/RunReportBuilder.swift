import Foundation
import GeoLensEval
import GeoLensReport

/// Builds `report.html` from an eval output directory: `state.json` (metrics, intervals,
/// per-tile rows), `run.json` (manifest, image and label paths), `predictions/<stem>_pred.tif`
/// and `_entropy.tif` (thumbnails), `history.json` (training curves) and attribution PNGs
/// (`<stem>_<method>_<class>.png` in the directory or its `explain/` folder), each when present.
enum RunReportBuilder {
    /// Attribution method names recognized in PNG file names.
    static let attributionMethods = ["gradcam++", "gradcam", "shap-exact", "kernel-shap", "gradient-shap", "integrated-gradients"]

    /// The report of the run in `runDirectory`.
    ///
    /// - Throws: `Failure.runtime` when `state.json` is missing or unreadable.
    static func build(runDirectory: URL, worstTileCount: Int = 12) throws -> RunReport {
        let state = try loadState(runDirectory)
        let manifest = try ReportManifest.load(from: runDirectory)
        let metrics = MetricsReport(state: state, geolensVersion: manifest?.version ?? GeoLens.configuration.version)
        let tiles = state.tileResults
        let worst = tiles.sorted { ($0.miou ?? 2, $0.tile) < ($1.miou ?? 2, $1.tile) }.prefix(worstTileCount)
        let renderer = TileThumbnails(classCount: state.configuration.classCount, compositeBands: manifest?.compositeBands)
        let predictions = runDirectory.appendingPathComponent("predictions")
        let files = tileFiles(state.sortedTileIDs, manifest: manifest, runDirectory: runDirectory)
        let galleries = worst.map { row -> RunReport.TileGallery in
            let file = files[row.tile]!
            let thumbs = renderer.thumbnails(image: file.image, label: file.label,
                                             prediction: predictions.appendingPathComponent(file.stem + "_pred.tif"),
                                             entropy: predictions.appendingPathComponent(file.stem + "_entropy.tif"))
            return RunReport.TileGallery(tile: row.tile, thumbnails: thumbs)
        }.filter { !$0.thumbnails.isEmpty }
        var rows = manifest?.rows ?? []
        rows.insert(("run directory", runDirectory.path), at: 0)
        return RunReport(title: "GeoLens evaluation: " + runDirectory.lastPathComponent, metrics: metrics, tiles: tiles,
                         manifest: rows, galleries: galleries, worstTileCount: worstTileCount,
                         entropyValues: entropyValues(state.sortedTileIDs.map { files[$0]!.stem }, predictions: predictions, renderer: renderer)
                            ?? tiles.compactMap(\.meanEntropy), trainingHistory: trainingHistory(runDirectory),
                         attributions: attributions(runDirectory))
    }

    /// Tile files from run.json, or stems from the tile ids alone when there is no run.json.
    static func tileFiles(_ ids: [String], manifest: ReportManifest?, runDirectory: URL) -> [String: ReportManifest.TileFiles] {
        (manifest ?? ReportManifest()).files(of: ids, runDirectory: runDirectory)
    }

    /// Pixel entropies from the `_entropy.tif` rasters (every `stride`-th valid pixel, at most
    /// `limit` values), or nil when the run wrote none (the histogram then uses tile means).
    static func entropyValues(_ stems: [String], predictions: URL, renderer: TileThumbnails,
                              limit: Int = 200_000) -> [Double]? {
        var values: [Double] = []
        for stem in stems where values.count < limit {
            let url = predictions.appendingPathComponent(stem + "_entropy.tif")
            guard FileManager.default.fileExists(atPath: url.path), let map = try? renderer.values(url) else { continue }
            let stride = max(1, map.values.count / 4096)
            for i in Swift.stride(from: 0, to: map.values.count, by: stride) where map.values[i].isFinite {
                values.append(Double(map.values[i]))
            }
        }
        return values.isEmpty ? nil : values
    }

    /// Builds and writes `report.html` into the run directory; returns its URL.
    @discardableResult
    static func write(runDirectory: URL, images: ReportImages = .embedded) throws -> URL {
        try build(runDirectory: runDirectory).write(to: runDirectory, images: images)
    }

    /// `state.json` of a run, with an error naming the directory.
    static func loadState(_ runDirectory: URL) throws -> EvaluationState {
        let url = runDirectory.appendingPathComponent(EvaluationOutputs.stateFile)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw Failure.runtime("\(runDirectory.path) has no \(EvaluationOutputs.stateFile); pass the --out directory of a finished geolens eval run")
        }
        do {
            return try EvaluationState.load(from: url)
        } catch {
            throw Failure.runtime("cannot read \(url.path): \(error)")
        }
    }

    /// `history.json`: either `{"loss": [..], ...}` or `[{"epoch": 1, "loss": ..}, ...]`.
    static func trainingHistory(_ runDirectory: URL) -> [(name: String, values: [Double])] {
        let url = runDirectory.appendingPathComponent("history.json")
        guard let data = try? Data(contentsOf: url), let object = try? JSONSerialization.jsonObject(with: data) else { return [] }
        if let series = object as? [String: Any] {
            return series.keys.sorted().compactMap { key in
                (series[key] as? [NSNumber]).map { (key, $0.map(\.doubleValue)) }
            }
        }
        if let epochs = object as? [[String: Any]] {
            let keys = Set(epochs.flatMap(\.keys)).subtracting(["epoch", "step"]).sorted()
            return keys.map { key in (key, epochs.map { ($0[key] as? NSNumber)?.doubleValue ?? .nan }) }
        }
        return []
    }

    /// Attribution PNGs `<stem>_<method>_<class>.png` in the run directory or its `explain/` folder.
    static func attributions(_ runDirectory: URL) -> [RunReport.Attribution] {
        attributionFiles(runDirectory).compactMap { file in
            guard let bytes = try? Data(contentsOf: file.url) else { return nil }
            return RunReport.Attribution(tile: file.tile, method: file.method, className: file.className, png: [UInt8](bytes))
        }
    }

    /// Attribution PNG files with the tile, method and class parsed from their names.
    static func attributionFiles(_ runDirectory: URL) -> [(url: URL, tile: String, method: String, className: String)] {
        var found: [(URL, String, String, String)] = []
        let explain = runDirectory.appendingPathComponent("explain")
        let methodFolders = ((try? FileManager.default.contentsOfDirectory(atPath: explain.path)) ?? []).sorted()
            .map { explain.appendingPathComponent($0) }
        for folder in [runDirectory, explain] + methodFolders {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".png") {
                let stem = String(name.dropLast(4))
                for method in attributionMethods {
                    guard let range = stem.range(of: "_\(method)_") else { continue }
                    let tile = String(stem[..<range.lowerBound]), className = String(stem[range.upperBound...])
                    if !tile.isEmpty && !className.isEmpty {
                        found.append((folder.appendingPathComponent(name), tile, method, className))
                        break
                    }
                }
            }
        }
        return found
    }
}
