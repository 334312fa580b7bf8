public import Foundation
import GeoLensEval

/// Merges the outputs of explain shards (`attributions-shard-I-of-N.json` and the files their
/// records name, in one shared folder or in several) into one `attributions.json`, with the
/// files gathered in the output folder, and writes its `gallery.html`.
///
/// Every shard 0..<N of one run must be present exactly once, and all must share the model,
/// method, baseline, cells and classes; otherwise the merge fails naming the missing or
/// conflicting shards.
public enum ExplanationMerge {
    /// The attributions files in `directory`.
    public static func documents(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter(AttributionsDocument.isDocumentName).sorted().map { directory.appendingPathComponent($0) }
    }

    /// The documents that describe `directory`'s maps: a whole run's (or a merge's)
    /// `attributions.json` when there is one, else every shard file.
    public static func currentDocuments(in directory: URL) -> [URL] {
        let urls = documents(in: directory)
        let whole = urls.filter { $0.lastPathComponent == AttributionsDocument.fileName }
        return whole.isEmpty ? urls : whole
    }

    /// Whether `directory` holds explain outputs (an attributions file of a run or a shard).
    public static func holdsExplanations(_ directory: URL) -> Bool { !documents(in: directory).isEmpty }

    @discardableResult
    public static func merge(_ directories: [URL], into out: URL) throws(PipelineError) -> AttributionsDocument {
        var shards: [(url: URL, directory: URL, document: AttributionsDocument)] = []
        for directory in directories {
            let urls = documents(in: directory).filter { $0.lastPathComponent != AttributionsDocument.fileName }
            guard !urls.isEmpty else {
                throw .data("\(directory.path) holds no attributions-shard-I-of-N.json; pass the --out folders of `geolens explain --shard I/N`")
            }
            for url in urls { shards.append((url, directory, try AttributionsDocument.load(from: url))) }
        }
        var seen: [Int: URL] = [:]
        var count: Int?
        for shard in shards {
            let parts = (shard.document.shard ?? "").split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2 else { throw .data("\(shard.url.path) records no shard (\"shard\": \"I/N\")") }
            if let count, count != parts[1] {
                throw .data("\(shard.url.path) is shard \(parts[0]) of \(parts[1]), but other shards are of \(count); merge the shards of one run")
            }
            count = parts[1]
            if let other = seen[parts[0]] {
                throw .data("shard \(parts[0])/\(parts[1]) appears twice: \(other.path) and \(shard.url.path)")
            }
            seen[parts[0]] = shard.url
        }
        let total = count ?? 0
        let missing = (0..<total).filter { seen[$0] == nil }
        guard missing.isEmpty else {
            throw .data("shards \(missing.map { "\($0)/\(total)" }.joined(separator: ", ")) are missing; run them "
                        + "(geolens explain ... --shard I/\(total)) before merging")
        }
        let first = shards[0].document
        for shard in shards.dropFirst() {
            let d = shard.document
            guard d.model == first.model, d.method == first.method, d.baseline == first.baseline, d.background == first.background,
                  d.cells == first.cells, d.classes == first.classes else {
                throw .data("\(shard.url.path) was made with other settings than \(shards[0].url.path) "
                            + "(model, method, baseline, cells or classes differ); merge the shards of one run")
            }
        }
        try FileSystem.createDirectory(out)
        var records: [AttributionRecord] = []
        var failures: [FailedTile] = []
        for shard in shards.sorted(by: { $0.document.shard ?? "" < $1.document.shard ?? "" }) {
            for record in shard.document.records {
                for name in record.fileNames {
                    try copy(shard.directory.appendingPathComponent(name), to: out.appendingPathComponent(name))
                }
                records.append(record)
            }
            failures += shard.document.failedTiles ?? []
        }
        records.sort { ($0.tile, $0.classIndex) < ($1.tile, $1.classIndex) }
        var merged = first
        merged.shard = nil
        merged.mergedShards = total
        merged.records = records
        merged.failedTiles = failures.isEmpty ? nil : failures.sorted { $0.tile < $1.tile }
        try merged.write(to: out.appendingPathComponent(AttributionsDocument.fileName))
        try ExplanationGallery.write(merged, in: out)
        return merged
    }

    /// Copies a shard's file into the merged folder (nothing to do when it is already there).
    private static func copy(_ source: URL, to destination: URL) throws(PipelineError) {
        guard source.standardizedFileURL.path != destination.standardizedFileURL.path else { return }
        guard FileSystem.exists(source.path) else { return }
        do {
            if FileSystem.exists(destination.path) { try FileManager.default.removeItem(at: destination) }
            try FileManager.default.copyItem(at: source, to: destination)
        } catch {
            throw .data("cannot copy \(source.path) to \(destination.path): \(error.localizedDescription)")
        }
    }
}
