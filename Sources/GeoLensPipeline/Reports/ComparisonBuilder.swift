public import Foundation
public import GeoLensEval
public import GeoLensReport

/// Gathers what `geolens compare` shows from run directories: the states, the tiles where the
/// first two runs' predictions differ most (with thumbnails), and attribution maps of the same
/// tile, method and class present in several runs.
public enum ComparisonBuilder {
    /// The comparison report of `directories` (at least two eval output directories).
    public static func build(directories: [URL], commonSubset: Bool = false, disagreementTiles: Int = 6,
                             bootstrap: BootstrapOptions = BootstrapOptions()) throws(PipelineError) -> ComparisonReport {
        for directory in directories where !FileSystem.exists(directory.path) {
            throw .usage("run directory \(directory.path) does not exist; pass eval --out directories")
        }
        let names = runNames(directories)
        var loaded: [ComparedRun] = []
        for (name, directory) in zip(names, directories) {
            loaded.append(ComparedRun(name: name, path: directory.path, state: try RunReportBuilder.loadState(directory)))
        }
        let (runs, _, summary) = try PipelineError.wrapping { () throws -> ([ComparedRun], Int, ComparisonSummary) in
            let (runs, dropped) = try ComparisonInputs.prepare(loaded, commonSubset: commonSubset)
            return (runs, dropped, try ComparisonSummary(runs: runs, droppedTiles: dropped,
                                                         geolensVersion: GeoLensVersion.current, bootstrap: bootstrap))
        }
        let disagreements = try disagreementTable(runs: runs, directories: directories, keep: disagreementTiles)
        return ComparisonReport(summary: summary, disagreements: disagreements,
                                attributions: attributionSets(names: names, directories: directories))
    }

    /// Run names: directory names, made unique with their position when two are equal.
    static func runNames(_ directories: [URL]) -> [String] {
        let base = directories.map(\.lastPathComponent)
        return base.enumerated().map { i, name in base.filter { $0 == name }.count > 1 ? "\(name) (\(i + 1))" : name }
    }

    /// Tiles ranked by the fraction of pixels where the first two runs predict different classes.
    static func disagreementTable(runs: [ComparedRun], directories: [URL], keep: Int) throws(PipelineError) -> [ComparisonReport.DisagreementTile] {
        let classCount = runs[0].state.configuration.classCount
        let renderer = TileThumbnails(classCount: classCount, compositeBands: nil)
        let files = try RunDirectory(directories[0]).files(of: runs[0].state.sortedTileIDs)
        func predictionURL(_ k: Int, _ tile: String) -> URL {
            directories[k].appendingPathComponent("predictions").appendingPathComponent(files[tile]!.stem + "_pred.tif")
        }
        var scored: [(tile: String, fraction: Double)] = []
        for tile in runs[0].state.sortedTileIDs {
            guard let a = try? renderer.classIDs(predictionURL(0, tile)), let b = try? renderer.classIDs(predictionURL(1, tile)),
                  a.ids.count == b.ids.count else { continue }
            var valid = 0, differ = 0
            for i in 0..<a.ids.count where a.ids[i] >= 0 && a.ids[i] < classCount && b.ids[i] >= 0 && b.ids[i] < classCount {
                valid += 1
                if a.ids[i] != b.ids[i] { differ += 1 }
            }
            if valid > 0 && differ > 0 { scored.append((tile, Double(differ) / Double(valid))) }
        }
        let top = scored.sorted { ($0.fraction, $1.tile) > ($1.fraction, $0.tile) }.prefix(keep)
        return top.map { entry in
            var thumbs: [RunReport.Thumbnail] = []
            let file = files[entry.tile]!
            let base = renderer.thumbnails(image: file.image, label: file.label, prediction: nil, entropy: nil)
            thumbs += base
            var predicted: [[Int]] = []
            var size = (0, 0)
            for k in 0..<runs.count {
                guard let ids = try? renderer.classIDs(predictionURL(k, entry.tile)),
                      let png = try? PNGWriter.encode(renderer.palette.render(classIDs: ids.ids, width: ids.width, height: ids.height)) else { continue }
                predicted.append(ids.ids)
                size = (ids.width, ids.height)
                thumbs.append(RunReport.Thumbnail(label: runs[k].name, png: [UInt8](png)))
            }
            if predicted.count >= 2,
               let map = try? PNGWriter.encode(ClassPalette.disagreementMap(predicted[0], predicted[1], classCount: classCount,
                                                                            width: size.0, height: size.1)) {
                thumbs.append(RunReport.Thumbnail(label: "disagreement", png: [UInt8](map)))
            }
            return ComparisonReport.DisagreementTile(tile: entry.tile, disagreement: entry.fraction, thumbnails: thumbs)
        }
    }

    /// Attribution maps with the same tile, method and class in two or more runs.
    static func attributionSets(names: [String], directories: [URL]) -> [ComparisonReport.AttributionSet] {
        var groups: [String: (tile: String, method: String, className: String, maps: [RunReport.Thumbnail])] = [:]
        for (name, directory) in zip(names, directories) {
            for file in (try? RunDirectory(directory))?.attributionFiles() ?? [] {
                guard let bytes = try? Data(contentsOf: file.url) else { continue }
                let key = "\(file.tile)\u{0}\(file.method.rawValue)\u{0}\(file.className)"
                groups[key, default: (file.tile, file.method.rawValue, file.className, [])].maps
                    .append(RunReport.Thumbnail(label: name, png: [UInt8](bytes)))
            }
        }
        return groups.keys.sorted().compactMap { key in
            let g = groups[key]!
            return g.maps.count >= 2 ? ComparisonReport.AttributionSet(tile: g.tile, method: g.method, className: g.className, maps: g.maps) : nil
        }
    }
}
