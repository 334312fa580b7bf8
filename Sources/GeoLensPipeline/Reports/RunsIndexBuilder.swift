public import Foundation
import GeoLensEval
import GeoLensNN
public import GeoLensReport

/// `geolens index RUNS_DIR`: finds every evaluation run (a folder with `metrics.json` beside
/// `state.json` or `run.json`) and every training run (`history.json` beside `best.json` or
/// `last.meta.json`) under a folder and writes one self-contained `index.html` listing them:
/// model, checkpoint sha256, data, date, headline metrics with their intervals, and links to
/// each run's report, snapshots and files.
public enum RunsIndexBuilder {
    /// Output folders of a run, not searched for further runs (nor are hidden folders).
    static let skipped: Set<String> = ["predictions", "snapshots", "report_files", "explain"]
    /// How deep below the folder runs are looked for.
    static let maxDepth = 8

    /// Writes `index.html` into `folder` (or `out`) and returns its path and the runs listed.
    @discardableResult
    public static func write(folder: URL, out: URL? = nil) throws(PipelineError) -> (url: URL, entries: [RunsIndexEntry]) {
        let entries = try entries(in: folder)
        let url = out ?? folder.appendingPathComponent("index.html")
        let html = RunsIndexPage.render(entries: entries, folder: FileSystem.absolute(folder.path))
        try PipelineError.wrapping(context: url.path) { try AtomicFile.write(html, to: url) }
        return (url, entries)
    }

    /// The runs under `folder`, in path order; a run whose files cannot be read is an error
    /// naming the file.
    public static func entries(in folder: URL) throws(PipelineError) -> [RunsIndexEntry] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .usage("runs folder \(folder.path) does not exist or is not a folder")
        }
        var entries: [RunsIndexEntry] = []
        for directory in runDirectories(under: folder.standardizedFileURL) {
            let name = relativePath(of: directory, in: folder.standardizedFileURL)
            if exists(directory, "metrics.json") && (exists(directory, "state.json") || exists(directory, RunManifest.fileName)) {
                entries.append(try evaluation(directory, name: name))
            } else if exists(directory, "history.json") && (exists(directory, "best.json") || exists(directory, "last.meta.json")) {
                entries.append(try training(directory, name: name))
            }
        }
        return entries
    }

    /// Every folder under `root` (itself included), depth first in name order.
    static func runDirectories(under root: URL) -> [URL] {
        var result: [URL] = []
        func visit(_ directory: URL, depth: Int) {
            result.append(directory)
            guard depth < maxDepth,
                  let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
            let isRun = names.contains("metrics.json") || names.contains("history.json")
            for name in names.sorted() where !name.hasPrefix(".") && !(isRun && skipped.contains(name)) {
                let child = directory.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: child.path, isDirectory: &isDirectory), isDirectory.boolValue {
                    visit(child, depth: depth + 1)
                }
            }
        }
        visit(root, depth: 0)
        return result
    }

    // MARK: - Evaluation runs

    private struct Metrics: Decodable {
        struct Model: Decodable { let path: String?, sha256: String? }
        let model: Model?
        let tiles: Int?
        let miou: Double?
        let overall_accuracy: Double?
        let ci95: [String: [Double]]?
    }

    private static func evaluation(_ directory: URL, name: String) throws(PipelineError) -> RunsIndexEntry {
        let metricsURL = directory.appendingPathComponent("metrics.json")
        let metrics: Metrics = try decode(metricsURL)
        let manifest = try RunManifest.load(from: directory)
        let checkpoint = manifest?.checkpoint ?? metrics.model?.path ?? "unknown"
        let date = manifest?.date ?? modificationDate(metricsURL)
        func metric(_ value: Double?, _ key: String) -> RunsIndexEntry.Metric {
            let interval = metrics.ci95?[key]
            return .init(value, low: interval?.first, high: interval.flatMap { $0.count > 1 ? $0[1] : nil })
        }
        var links: [(label: String, href: String)] = []
        for (label, file) in [("report", "report.html"), ("metrics", "metrics.json"), ("per tile", "per_tile.csv"),
                              ("attributions", "explain/gallery.html"), ("run.json", RunManifest.fileName)]
        where exists(directory, file) {
            links.append((label, href(name, file)))
        }
        let tiles = metrics.tiles ?? 0
        return RunsIndexEntry(kind: .eval, name: name, model: (checkpoint as NSString).lastPathComponent, modelPath: checkpoint,
                              sha256: manifest?.checkpointSHA256 ?? metrics.model?.sha256, data: manifest?.images ?? "",
                              date: date, miou: metric(metrics.miou, "miou"),
                              accuracy: metric(metrics.overall_accuracy, "overall_accuracy"),
                              extent: "\(tiles) tiles", extentValue: Double(tiles), links: links)
    }

    // MARK: - Training runs

    private struct HistoryRow: Decodable {
        let epoch: Int
        let val_miou: Double?
        let val_accuracy: Double?
        let val_loss: Double?
    }

    private struct Meta: Decodable {
        struct Config: Decodable {
            struct Data: Decodable { let images: String? }
            let data: Data?
            let epochs: Int?
        }
        let config: Config?
    }

    private static func training(_ directory: URL, name: String) throws(PipelineError) -> RunsIndexEntry {
        let historyURL = directory.appendingPathComponent("history.json")
        let history: [HistoryRow] = try decode(historyURL)
        let meta: Meta? = exists(directory, "last.meta.json") ? try decode(directory.appendingPathComponent("last.meta.json")) : nil
        let card: ModelCard? = exists(directory, "best.json")
            ? try PipelineError.wrapping { try ModelCard.load(from: directory.appendingPathComponent("best.json")) } : nil
        let checkpoint = directory.appendingPathComponent("best.safetensors")
        let best = history.filter { $0.val_miou != nil }.max { ($0.val_miou ?? 0) < ($1.val_miou ?? 0) }
        var links: [(label: String, href: String)] = []
        for (label, file) in [("snapshots", "snapshots/index.html"), ("history", "history.csv"), ("STAC item", "best.item.json"),
                              ("card", "best.json")] where exists(directory, file) {
            links.append((label, href(name, file)))
        }
        let events = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasPrefix("events.out.tfevents.") }
        if !events.isEmpty { links.append(("TensorBoard logs (tensorboard --logdir)", href(name, "") )) }
        let epochs = history.count
        return RunsIndexEntry(kind: .train, name: name,
                              model: "best.safetensors" + (card.map { " (\($0.architecture))" } ?? ""),
                              modelPath: checkpoint.path, sha256: try checkpointDigest(directory),
                              data: meta?.config?.data?.images ?? "", date: modificationDate(historyURL),
                              miou: .init(best?.val_miou), accuracy: .init(best?.val_accuracy),
                              extent: "\(epochs) epochs" + (best.map { " (best \($0.epoch + 1))" } ?? ""),
                              extentValue: Double(epochs), links: links)
    }

    /// The sha256 of `best.safetensors`: from its STAC item's `file:checksum` when there is one,
    /// else computed.
    private static func checkpointDigest(_ directory: URL) throws(PipelineError) -> String? {
        let item = directory.appendingPathComponent("best.item.json")
        if let data = try? Data(contentsOf: item),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let asset = (object["assets"] as? [String: Any])?["model"] as? [String: Any],
           let checksum = asset["file:checksum"] as? String, checksum.hasPrefix("1220"), checksum.count == 68 {
            return String(checksum.dropFirst(4))
        }
        let checkpoint = directory.appendingPathComponent("best.safetensors")
        return exists(directory, "best.safetensors") ? try SHA256.hexDigest(of: checkpoint) : nil
    }

    // MARK: - Helpers

    private static func decode<T: Decodable>(_ url: URL) throws(PipelineError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw .data("\(url.path) cannot be read for the runs index (\(error.readableDescription)); fix or delete the file")
        } catch {
            throw .data("cannot read \(url.path): \(error.localizedDescription)")
        }
    }

    private static func exists(_ directory: URL, _ name: String) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path)
    }

    private static func modificationDate(_ url: URL) -> String {
        let date = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? nil
        return date.map { ISO8601DateFormatter().string(from: $0) } ?? ""
    }

    private static func relativePath(of directory: URL, in root: URL) -> String {
        let parts = directory.pathComponents.dropFirst(root.pathComponents.count)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// A link to `file` of the run `name`, relative to the index, with each path segment
    /// percent-encoded.
    private static func href(_ name: String, _ file: String) -> String {
        let path = name == "." ? (file.isEmpty ? "./" : file) : name + "/" + file
        return path.split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? String($0)
        }.joined(separator: "/")
    }
}
