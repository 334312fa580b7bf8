public import Foundation
public import GeoLensEval
public import GeoLensReport
import GeoLensGeo

/// Builds `report.html` from an eval output directory: `state.json` (metrics, intervals,
/// per-tile rows), `run.json` (manifest, image and label paths), `predictions/<stem>_pred.tif`
/// and `_entropy.tif` (thumbnails), `history.json` (training curves) and attribution PNGs
/// (`<stem>_<method>_<class>.png` in the directory or its `explain/` folder), each when present.
public enum RunReportBuilder {
    /// The report of the run in `runDirectory`.
    ///
    /// - Throws: when `state.json` is missing or unreadable, or `run.json` is not a manifest.
    public static func build(runDirectory: URL, worstTileCount: Int = 12) throws(PipelineError) -> RunReport {
        let state = try loadState(runDirectory)
        let run = try RunDirectory(runDirectory)
        let manifest = run.manifest
        let metrics = MetricsReport(state: state, geolensVersion: manifest?.geolensVersion ?? GeoLensVersion.current)
        let tiles = state.tileResults
        let worst = tiles.sorted { ($0.miou ?? 2, $0.tile) < ($1.miou ?? 2, $1.tile) }.prefix(worstTileCount)
        let remap = manifest?.labelRemap.flatMap { try? SampleSourceOptions.labelRemap(fromConfig: $0) }.map { LabelRemapping($0) }
        var renderer = TileThumbnails(classCount: state.configuration.classCount, compositeBands: manifest?.compositeBands,
                                      remapping: remap)
        renderer.dateCompositeBands = manifest?.modelCard.flatMap(TileThumbnails.dateComposites(of:))
        let predictions = runDirectory.appendingPathComponent("predictions")
        let files = run.files(of: state.sortedTileIDs)
        let galleries = worst.map { row -> RunReport.TileGallery in
            let file = files[row.tile]!
            let thumbs = renderer.thumbnails(image: file.image, label: file.label,
                                             prediction: predictions.appendingPathComponent(file.stem + "_pred.tif"),
                                             entropy: predictions.appendingPathComponent(file.stem + "_entropy.tif"))
            return RunReport.TileGallery(tile: row.tile, thumbnails: thumbs)
        }.filter { !$0.thumbnails.isEmpty }
        var rows = manifest?.displayRows() ?? []
        rows.insert(("run directory", runDirectory.path), at: 0)
        return RunReport(title: "GeoLens evaluation: " + runDirectory.lastPathComponent, metrics: metrics, tiles: tiles,
                         manifest: rows, galleries: galleries, worstTileCount: worstTileCount,
                         entropyValues: entropyValues(state.sortedTileIDs.map { files[$0]!.stem }, predictions: predictions, renderer: renderer)
                            ?? tiles.compactMap(\.meanEntropy), trainingHistory: trainingHistory(runDirectory),
                         attributions: attributions(run))
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

    /// Builds and writes `report.html` into the run directory; returns its URL. A classification
    /// or multi-label run gets its own report (`ClassificationReportBuilder`, images are inline SVG).
    @discardableResult
    public static func write(runDirectory: URL, images: ReportImages = .embedded) throws(PipelineError) -> URL {
        if ClassificationState.isTileTaskState(runDirectory.appendingPathComponent(EvaluationOutputs.stateFile)) {
            return try ClassificationReportBuilder.write(runDirectory: runDirectory)
        }
        let report = try build(runDirectory: runDirectory)
        return try PipelineError.wrapping(context: runDirectory.path) { try report.write(to: runDirectory, images: images) }
    }

    /// `state.json` of a run, with an error naming the directory.
    public static func loadState(_ runDirectory: URL) throws(PipelineError) -> EvaluationState {
        let url = runDirectory.appendingPathComponent(EvaluationOutputs.stateFile)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .data("\(runDirectory.path) has no \(EvaluationOutputs.stateFile); pass the --out directory of a finished geolens eval run")
        }
        if ClassificationState.isTileTaskState(url) {
            throw .usage("\(url.path) holds a classification run; this step reads segmentation runs only "
                         + "(compare classification runs with each other)")
        }
        do {
            return try EvaluationState.load(from: url)
        } catch {
            throw .data("cannot read \(url.path): \(error)")
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

    /// The attribution heatmaps of the run (see `RunDirectory.attributionFiles`).
    static func attributions(_ run: RunDirectory) -> [RunReport.Attribution] {
        run.attributionFiles().compactMap { file in
            guard let bytes = try? Data(contentsOf: file.url) else { return nil }
            return RunReport.Attribution(tile: file.tile, method: file.method.rawValue, className: file.className, png: [UInt8](bytes))
        }
    }
}
