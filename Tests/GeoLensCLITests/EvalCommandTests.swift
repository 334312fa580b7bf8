import Foundation
import GeoLensGeo
import GeoLensTestSupport
import Testing

/// `geolens eval`, `merge` and `predict` through the built binary on the bundled fixtures.
@Suite("eval, merge and predict commands", .serialized)
struct EvalCommandTests {
    static let model = Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path
    static let images = Fixtures.url("fixtures/tiles/images").path
    static let labels = Fixtures.url("fixtures/tiles/labels").path

    func eval(_ extra: [String], out: URL) throws -> GeoLensCLI.Result {
        try GeoLensCLI.run(["eval", "--model", Self.model, "--images", Self.images, "--labels", Self.labels,
                            "--out", out.path] + extra)
    }

    struct Metrics: Decodable {
        let tiles: Int, pixels: Int, ignored_pixels: Int
        let overall_accuracy: Double, miou: Double
        let confusion_matrix: [[Int]]
    }

    @Test("Metrics equal a recomputation from the written prediction rasters")
    func endToEnd() throws {
        let out = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try eval(["--write-predictions"], out: out)
        #expect(result.status == 0, "\(result.stderr)")
        for file in ["metrics.json", "per_tile.csv", "confusion.csv", "state.json", "run.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)")
        }
        let metrics = try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: out.appendingPathComponent("metrics.json")))
        #expect(metrics.tiles == 12)

        // Independent recomputation: class ids from the prediction rasters against the label rasters.
        var confusion = [[Int]](repeating: [0, 0, 0], count: 3)
        var ignored = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.labels) where name.hasSuffix(".tif") {
            let stem = String(name.dropLast(4))
            let label = try Raster(path: Self.labels + "/" + name).read().values.scalars
            let predicted = try Raster(path: out.appendingPathComponent("predictions/\(stem)_pred.tif").path).read().values.scalars
            let image = try Raster(path: Self.images + "/" + name).read()
            for i in label.indices {
                if label[i] == 255 || !image.validity[i] { ignored += 1; continue }
                confusion[Int(label[i])][Int(predicted[i])] += 1
            }
        }
        #expect(confusion == metrics.confusion_matrix)
        #expect(ignored == metrics.ignored_pixels)
        let total = confusion.joined().reduce(0, +)
        let accuracy = Double((0..<3).map { confusion[$0][$0] }.reduce(0, +)) / Double(total)
        #expect(abs(accuracy - metrics.overall_accuracy) < 1e-12)
        let ious = (0..<3).map { c -> Double in
            let tp = confusion[c][c], fp = (0..<3).map { confusion[$0][c] }.reduce(0, +) - tp
            let fn = confusion[c].reduce(0, +) - tp
            return Double(tp) / Double(tp + fp + fn)
        }
        #expect(abs(ious.reduce(0, +) / 3 - metrics.miou) < 1e-12)
        let csv = try String(contentsOf: out.appendingPathComponent("per_tile.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 13)
        #expect(csv.hasPrefix("tile,pixels,ignored,accuracy,miou,mean_entropy,iou_clear,iou_cloud,iou_shadow"))
    }

    @Test("Four shards run as separate processes and merged equal one run byte for byte")
    func shardsMerge() throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let whole = try eval([], out: root.appendingPathComponent("whole"))
        #expect(whole.status == 0, "\(whole.stderr)")
        let results = try (0..<4).map { i in
            try eval(["--shard", "\(i)/4"], out: root.appendingPathComponent("shard\(i)"))
        }
        for r in results { #expect(r.status == 0, "\(r.stderr)") }
        let merged = try GeoLensCLI.run(["merge"] + (0..<4).map { root.appendingPathComponent("shard\($0)").path }
                                        + ["--out", root.appendingPathComponent("merged").path])
        #expect(merged.status == 0, "\(merged.stderr)")
        let a = try Data(contentsOf: root.appendingPathComponent("whole/metrics.json"))
        let b = try Data(contentsOf: root.appendingPathComponent("merged/metrics.json"))
        #expect(a == b)
        let shardTiles = try (0..<4).map { i in
            try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: root.appendingPathComponent("shard\(i)/metrics.json"))).tiles
        }
        #expect(shardTiles.reduce(0, +) == 12)
    }

    @Test("Merge refuses missing, doubled or foreign shards, gathers predictions, and merges on purpose when asked")
    func mergeChecksTheShardSet() throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        for i in 0..<3 {
            let r = try eval(["--shard", "\(i)/3", "--write-predictions"], out: root.appendingPathComponent("shard\(i)"))
            #expect(r.status == 0, "\(r.stderr)")
        }
        func merge(_ shards: [Int], _ extra: [String] = [], out: String = "merged") throws -> GeoLensCLI.Result {
            try GeoLensCLI.run(["merge"] + shards.map { root.appendingPathComponent("shard\($0)").path }
                               + ["--out", root.appendingPathComponent(out).path] + extra)
        }
        let missing = try merge([0, 2])
        #expect(missing.status == 1 && missing.stderr.hasPrefix("error:") && missing.stderr.contains("1/3")
                && missing.stderr.contains("--allow-incomplete"), "\(missing.stderr)")
        let doubled = try merge([0, 1, 1])
        #expect(doubled.status == 1 && doubled.stderr.contains("appears twice"), "\(doubled.stderr)")

        // A shard of another run (different seed) is refused, naming the setting.
        let foreign = try eval(["--shard", "1/3", "--seed", "7"], out: root.appendingPathComponent("shard9"))
        #expect(foreign.status == 0, "\(foreign.stderr)")
        let mixed = try merge([0, 9, 2])
        #expect(mixed.status == 1 && mixed.stderr.contains("seed"), "\(mixed.stderr)")

        let partial = try merge([0, 2], ["--allow-incomplete"], out: "partial")
        #expect(partial.status == 0, "\(partial.stderr)")
        let metrics = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: root.appendingPathComponent("partial/metrics.json"))) as? [String: Any])
        let incomplete = try #require(metrics["incomplete_merge"] as? [String: Any])
        #expect(incomplete["missing"] as? [String] == ["1/3"])
        let report = try String(contentsOf: root.appendingPathComponent("partial/report.html"), encoding: .utf8)
        #expect(report.contains("missing_shards"))

        // Each shard explained its own tiles; the merged run gathers the maps into one gallery.
        for i in 0..<3 {
            let explain = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.images, "--shard", "\(i)/3",
                                              "--out", root.appendingPathComponent("shard\(i)/explain/gradcam").path,
                                              "--method", "gradcam", "--class", "cloud"])
            #expect(explain.status == 0, "\(explain.stderr)")
        }
        let complete = try merge([0, 1, 2])
        #expect(complete.status == 0, "\(complete.stderr)")
        let gathered = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("merged/predictions").path)
        #expect(gathered.filter { $0.hasSuffix("_pred.tif") }.count == 12)
        let completeMetrics = try String(contentsOf: root.appendingPathComponent("merged/metrics.json"), encoding: .utf8)
        #expect(!completeMetrics.contains("incomplete_merge"))
        let attributions = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: root.appendingPathComponent("merged/explain/gradcam/attributions.json"))) as? [String: Any])
        #expect((attributions["records"] as? [Any])?.count == 12)
        let html = try String(contentsOf: root.appendingPathComponent("merged/report.html"), encoding: .utf8)
        #expect(html.contains("Attribution gallery"))
    }

    @Test("An interrupted run restarted with the same arguments ends with the same numbers")
    func resume() throws {
        let root = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let reference = root.appendingPathComponent("reference")
        #expect(try eval(["--batch", "2"], out: reference).status == 0)

        // A kill leaves the journal with some tiles and possibly a half-written line, and no outputs.
        let interrupted = root.appendingPathComponent("interrupted")
        #expect(try eval(["--batch", "2"], out: interrupted).status == 0)
        let journal = interrupted.appendingPathComponent("journal.jsonl")
        let lines = try String(contentsOf: journal, encoding: .utf8).split(separator: "\n")
        let cut = lines.prefix(6).joined(separator: "\n") + "\n" + lines[6].prefix(40)
        try cut.write(to: journal, atomically: true, encoding: .utf8)
        for file in ["metrics.json", "per_tile.csv", "confusion.csv", "state.json"] {
            try FileManager.default.removeItem(at: interrupted.appendingPathComponent(file))
        }
        let resumed = try eval(["--batch", "2"], out: interrupted)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming"))
        #expect(try Data(contentsOf: reference.appendingPathComponent("metrics.json"))
                == Data(contentsOf: interrupted.appendingPathComponent("metrics.json")))

        // A real kill at an arbitrary moment, then a restart.
        let killed = root.appendingPathComponent("killed")
        let process = Process()
        process.executableURL = GeoLensCLI.executable
        process.arguments = ["eval", "--model", Self.model, "--images", Self.images, "--labels", Self.labels,
                             "--out", killed.path, "--batch", "1"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline {
            let text = (try? String(contentsOf: killed.appendingPathComponent("journal.jsonl"), encoding: .utf8)) ?? ""
            if text.split(separator: "\n").count >= 3 { break }
            usleep(2_000)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(try eval(["--batch", "1"], out: killed).status == 0)
        #expect(try Data(contentsOf: reference.appendingPathComponent("metrics.json"))
                == Data(contentsOf: killed.appendingPathComponent("metrics.json")))

        // The same directory with other arguments is refused.
        let other = try eval(["--batch", "2", "--seed", "5"], out: interrupted)
        #expect(other.status == 64)
        #expect(other.stderr.hasPrefix("error:") && other.stderr.contains("different arguments"))
    }

    @Test("predict writes georeferenced class and entropy rasters of the scene")
    func predict() throws {
        let out = try GeoLensCLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let scene = Fixtures.url("fixtures/scene/scene.tif").path
        let result = try GeoLensCLI.run(["predict", "--model", Self.model, "--input", scene, "--out", out.path, "--probabilities"])
        #expect(result.status == 0, "\(result.stderr)")
        let source = try Raster(path: scene)
        for suffix in ["pred", "entropy", "prob"] {
            let raster = try Raster(path: out.appendingPathComponent("scene_\(suffix).tif").path)
            #expect(raster.width == source.width && raster.height == source.height)
            #expect(raster.geoTransform == source.geoTransform)
            #expect(raster.crs?.epsg == source.crs?.epsg)
        }
        let predicted = try Raster(path: out.appendingPathComponent("scene_pred.tif").path).read().values.scalars
        let labels = try Raster(path: Fixtures.url("fixtures/scene/scene_labels.tif").path).read().values.scalars
        let scored = labels.indices.filter { labels[$0] != 255 }
        let correct = scored.filter { predicted[$0] == labels[$0] }.count
        #expect(Double(correct) / Double(scored.count) > 0.95)
        #expect(labels.indices.allSatisfy { (labels[$0] == 255) == (predicted[$0] == 255) })
    }
}
