import Foundation
import GeoLensExplain
import GeoLensGeo
import GeoLensReport

/// Where the files of a run directory's tiles and attribution maps are, as the reports need them.
struct RunDirectory {
    let url: URL
    let manifest: RunManifest?

    init(_ url: URL) throws(PipelineError) {
        self.url = url
        self.manifest = try RunManifest.load(from: url)
    }

    /// Where a tile's files are: its image, its label and the stem that names its prediction
    /// rasters (`predictions/<stem>_pred.tif`).
    struct TileFiles {
        var image: URL?
        var label: URL?
        var stem: String
    }

    /// The files of every tile id (`state.json` keys are image paths relative to the source root).
    ///
    /// Lists the run's images and labels with the run's own pairing rule (`SampleSource` from
    /// `run.json`); tiles it cannot find (data moved since) fall back to `<images>/<tile id>` and
    /// a stem from the id, so predictions still render.
    func files(of tileIDs: [String]) -> [String: TileFiles] {
        var byID: [String: TileFiles] = [:]
        let options = manifest?.sampleSource(runDirectory: url)
        if let options, let source = try? SampleSource(options) {
            for pair in source.files {
                byID[pair.relativePath] = TileFiles(image: URL(fileURLWithPath: pair.image),
                                                    label: pair.label.map { URL(fileURLWithPath: $0) }, stem: pair.stem)
            }
        }
        // `images` may be a glob or a list file: its folder holds the tiles.
        func folder(_ path: String) -> String {
            path.contains("*") || path.contains("?") || path.hasSuffix(".txt") || path.hasSuffix(".lst")
                ? (path as NSString).deletingLastPathComponent : path
        }
        var result: [String: TileFiles] = [:]
        for id in tileIDs {
            if let found = byID[id] {
                result[id] = found
                continue
            }
            let stem = ((id as NSString).lastPathComponent as NSString).deletingPathExtension
            let fileName = (id as NSString).pathExtension.isEmpty ? id + ".tif" : id
            result[id] = TileFiles(
                image: options.map { URL(fileURLWithPath: (folder($0.images) as NSString).appendingPathComponent(fileName)) },
                label: options?.labels.map { URL(fileURLWithPath: ($0 as NSString).appendingPathComponent(fileName)) },
                stem: stem)
        }
        return result
    }

    /// An attribution heatmap of the run (in the directory, its `explain/` folder or the folders
    /// below that), with its tile, method and class.
    struct AttributionFile {
        let url: URL
        let tile: String
        let method: AttributionMethod
        let className: String
    }

    /// The heatmaps named by `attributions.json` files (of runs or merges) in the run directory,
    /// `explain/` and its subfolders; folders without one are read by file name
    /// (`<stem>_<method>_<class>.png`). Every method of `AttributionMethod` is recognized.
    func attributionFiles() -> [AttributionFile] {
        var found: [AttributionFile] = []
        let explain = url.appendingPathComponent("explain")
        let subfolders = ((try? FileManager.default.contentsOfDirectory(atPath: explain.path)) ?? []).sorted()
            .map { explain.appendingPathComponent($0) }
        for folder in [url, explain] + subfolders {
            // A merged attributions.json stands for the shard files beside it.
            let documents = ExplanationMerge.currentDocuments(in: folder).compactMap { try? AttributionsDocument.load(from: $0) }
            if !documents.isEmpty {
                for record in documents.flatMap(\.records) {
                    guard let map = record.map, let method = AttributionMethod(rawValue: record.method) else { continue }
                    let png = folder.appendingPathComponent((map as NSString).deletingPathExtension + ".png")
                    guard FileSystem.exists(png.path) else { continue }
                    let stem = ((record.tile as NSString).lastPathComponent as NSString).deletingPathExtension
                    found.append(AttributionFile(url: png, tile: stem, method: method, className: record.className))
                }
                continue
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".png") && !name.hasSuffix("_groups.png") {
                guard let parsed = AttributionMethod.parseFileStem(String(name.dropLast(4))) else { continue }
                found.append(AttributionFile(url: folder.appendingPathComponent(name), tile: parsed.tile,
                                             method: parsed.method, className: parsed.className))
            }
        }
        return found
    }
}
