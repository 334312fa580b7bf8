public import Foundation
public import GeoLensEval
import GeoLensGeo
import GeoLensNN

/// Sums the `state.json` of evaluation shards into the outputs of one run (byte-identical
/// `metrics.json` to an unsharded run), with a `run.json` recording the shards, the shards'
/// prediction rasters gathered under `predictions/`, and `report.html`.
///
/// The shards must be one run's: the same shard count N, checkpoint, inputs and settings, and
/// every shard 0..<N exactly once. Anything else is refused with an error naming the missing or
/// conflicting shards, unless `allowIncomplete` is set, which merges what is there and records
/// the missing shards in `metrics.json` (`incomplete_merge`), `run.json` and the report.
public enum EvaluationMerge {
    /// One shard directory as the merge sees it.
    struct ShardRun {
        let directory: URL
        let manifest: RunManifest?
        let shard: Shard?
    }

    @discardableResult
    public static func merge(_ directories: [URL], into out: URL, allowIncomplete: Bool = false) throws(PipelineError) -> MetricsReport {
        var states: [EvaluationState] = []
        var runs: [ShardRun] = []
        for directory in directories {
            let url = directory.appendingPathComponent(EvaluationOutputs.stateFile)
            guard FileSystem.exists(url.path) else {
                throw .data("\(directory.path) holds no \(EvaluationOutputs.stateFile) (nor explain shard files); "
                            + "is it the --out of a finished `geolens eval` or `geolens explain --shard`?")
            }
            if ClassificationState.isTileTaskState(url) {
                throw .data("\(url.path) holds a classification run; merge classification shards with ClassificationMerge "
                            + "(geolens merge picks it when the first shard is one) and do not mix them with segmentation shards")
            }
            states.append(try PipelineError.wrapping(context: url.path) { try EvaluationState.load(from: url) })
            let manifest = try RunManifest.load(from: directory)
            runs.append(ShardRun(directory: directory, manifest: manifest, shard: manifest?.shard.flatMap { try? Shard(parsing: $0) }))
        }
        let incomplete = try checkShardSet(runs, allowIncomplete: allowIncomplete)
        let merged = try PipelineError.wrapping(context: "cannot merge") { try EvaluationState.merge(states) }
        // Bootstrap settings and the manifest come from the first shard's run.json (all shards share them).
        let first = runs[0].manifest
        let resamples = first?.config?["bootstrap_resamples"]?.intValue ?? 1000
        let seed = first?.seed ?? 0
        try FileSystem.createDirectory(out)
        let report = try PipelineError.wrapping(context: out.path) {
            try EvaluationOutputs.write(merged, to: out, geolensVersion: GeoLensVersion.current, model: merged.model,
                                        bootstrap: BootstrapOptions(resamples: resamples, seed: seed), incompleteMerge: incomplete)
        }
        try first?.merged(from: directories, missing: incomplete?.missing).write(to: out)
        try gatherPredictions(from: directories, into: out)
        try gatherExplanations(from: directories, into: out)
        try RunReportBuilder.write(runDirectory: out)
        return report
    }

    /// Checks that `runs` are shards 0..<N of one run; returns what an allowed incomplete merge
    /// records, nil for a complete set.
    static func checkShardSet(_ runs: [ShardRun], allowIncomplete: Bool) throws(PipelineError) -> MetricsReport.IncompleteMerge? {
        let escape = " (pass --allow-incomplete to merge them anyway)"
        for run in runs where run.shard == nil {
            if allowIncomplete { return .init(merged: [], missing: ["unknown: \(run.directory.path) records no shard"]) }
            throw .data("\(run.directory.path) records no shard in run.json, so the set cannot be checked; "
                        + "merge the --out folders of `geolens eval --shard I/N`" + escape)
        }
        let shards = runs.map { $0.shard! }
        let count = shards[0].count
        if let other = runs.first(where: { $0.shard!.count != count }) {
            throw .data("\(other.directory.path) is shard \(other.shard!) but \(runs[0].directory.path) is shard \(shards[0]): "
                        + "shards of one run share N")
        }
        var seen: [Int: URL] = [:]
        for run in runs {
            if let twice = seen[run.shard!.index] {
                throw .data("shard \(run.shard!) appears twice: \(twice.path) and \(run.directory.path)")
            }
            seen[run.shard!.index] = run.directory
        }
        let reference = runs[0]
        for run in runs.dropFirst() {
            if let conflict = conflict(reference.manifest, run.manifest) {
                throw .data("\(run.directory.path) (shard \(run.shard!)) and \(reference.directory.path) (shard \(reference.shard!)) "
                            + "differ in \(conflict); merge the shards of one run")
            }
        }
        let missing = (0..<count).filter { seen[$0] == nil }.map { "\($0)/\(count)" }
        guard !missing.isEmpty else { return nil }
        guard allowIncomplete else {
            throw .data("shards \(missing.joined(separator: ", ")) are missing from the merge (\(runs.count) of \(count) given); "
                        + "run them with `geolens eval ... --shard I/\(count)` into their own --out" + escape)
        }
        return .init(merged: shards.sorted { $0.index < $1.index }.map(\.description), missing: missing)
    }

    /// The first setting two shards' manifests disagree on (checkpoint, inputs, pairing, settings).
    static func conflict(_ a: RunManifest?, _ b: RunManifest?) -> String? {
        guard let a, let b else { return nil }
        if a.checkpointSHA256 != b.checkpointSHA256 { return "the checkpoint (sha256)" }
        if a.images != b.images || a.labels != b.labels { return "the images or labels" }
        if a.imageSuffix != b.imageSuffix || a.labelSuffix != b.labelSuffix || a.labelRemap != b.labelRemap
            || a.ignoreIndex != b.ignoreIndex { return "the pairing or label settings" }
        if a.modelCard != b.modelCard { return "the model card" }
        // Settings that do not change the numbers may differ between tasks.
        let local: Set<String> = ["out", "shard", "threads", "batch", "model", "model_card", "images", "labels"]
        let settingsA = (a.config ?? [:]).filter { !local.contains($0.key) }
        let settingsB = (b.config ?? [:]).filter { !local.contains($0.key) }
        if settingsA != settingsB {
            let keys = Set(settingsA.keys).union(settingsB.keys).filter { settingsA[$0] != settingsB[$0] }.sorted()
            return "the settings \(keys.joined(separator: ", "))"
        }
        return nil
    }

    /// Gathers the explain outputs each shard holds under `explain/` (or its subfolders) into the
    /// same folders of `out`: the files their records name are linked, and one `attributions.json`
    /// per folder holds every shard's records, so the merged report's gallery shows them all.
    static func gatherExplanations(from directories: [URL], into out: URL) throws(PipelineError) {
        var folders: [String: [(directory: URL, document: AttributionsDocument)]] = [:]
        for directory in directories {
            let explain = directory.appendingPathComponent("explain")
            let subfolders = ((try? FileManager.default.contentsOfDirectory(atPath: explain.path)) ?? []).sorted()
            for relative in ["explain"] + subfolders.map({ "explain/" + $0 }) {
                let folder = directory.appendingPathComponent(relative)
                for url in ExplanationMerge.currentDocuments(in: folder) {
                    folders[relative, default: []].append((folder, try AttributionsDocument.load(from: url)))
                }
            }
        }
        for (relative, documents) in folders.sorted(by: { $0.key < $1.key }) {
            let target = out.appendingPathComponent(relative)
            var merged = documents[0].document
            merged.shard = nil
            merged.records = []
            for (folder, document) in documents {
                guard document.method == merged.method, document.classes == merged.classes else {
                    throw .data("\(folder.path) holds \(document.method) attributions that differ from another shard's "
                                + "\(merged.method) attributions in the same folder; give each method its own explain/ subfolder")
                }
                try FileSystem.createDirectory(target)
                for record in document.records {
                    for name in record.fileNames {
                        try link(folder.appendingPathComponent(name), to: target.appendingPathComponent(name))
                    }
                }
                merged.records += document.records
            }
            merged.records.sort { ($0.tile, $0.classIndex) < ($1.tile, $1.classIndex) }
            try merged.write(to: target.appendingPathComponent(AttributionsDocument.fileName))
            try ExplanationGallery.write(merged, in: target)
        }
    }

    /// Hard-links `source` to `destination` (a copy across file systems), replacing what is there.
    static func link(_ source: URL, to destination: URL) throws(PipelineError) {
        guard source.standardizedFileURL.path != destination.standardizedFileURL.path, FileSystem.exists(source.path) else { return }
        do {
            if FileSystem.exists(destination.path) { try FileManager.default.removeItem(at: destination) }
            do { try FileManager.default.linkItem(at: source, to: destination) } catch {
                try FileManager.default.copyItem(at: source, to: destination)
            }
        } catch {
            throw .data("cannot gather \(source.path) into \(destination.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
    }

    /// Makes every shard's prediction rasters reachable from `out/predictions` (hard links, or
    /// copies across file systems), so the merged report shows the thumbnails of every tile.
    static func gatherPredictions(from directories: [URL], into out: URL) throws(PipelineError) {
        let target = out.appendingPathComponent("predictions")
        for directory in directories {
            let folder = directory.appendingPathComponent("predictions")
            guard folder.standardizedFileURL.path != target.standardizedFileURL.path,
                  let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            try FileSystem.createDirectory(target)
            for name in names.sorted() where !name.hasPrefix(".") {
                try link(folder.appendingPathComponent(name), to: target.appendingPathComponent(name))
            }
        }
    }
}
