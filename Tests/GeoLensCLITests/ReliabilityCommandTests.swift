import Foundation
import GeoLensGeo
import GeoLensTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Long runs meeting bad tiles, signals and full disks.
@Suite("on-error skip, signals and full disks", .serialized)
struct ReliabilityCommandTests {
    static let model = Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path
    static let images = Fixtures.url("fixtures/tiles/images")
    static let labels = Fixtures.url("fixtures/tiles/labels")

    func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// A copy of the fixture tiles with three bad ones: a truncated image, a label of the wrong
    /// size and an image without a label. Returns the folder and the good tiles' folder.
    func damagedTiles(_ root: URL) throws -> (images: URL, labels: URL, goodImages: URL, goodLabels: URL) {
        let images = root.appendingPathComponent("images"), labels = root.appendingPathComponent("labels")
        let goodImages = root.appendingPathComponent("good/images"), goodLabels = root.appendingPathComponent("good/labels")
        for dir in [images, labels, goodImages, goodLabels] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.images.path).filter { $0.hasSuffix(".tif") }.sorted()
        for name in names {
            try FileManager.default.copyItem(at: Self.images.appendingPathComponent(name), to: images.appendingPathComponent(name))
            try FileManager.default.copyItem(at: Self.labels.appendingPathComponent(name), to: labels.appendingPathComponent(name))
        }
        // Truncated image.
        let truncated = images.appendingPathComponent("tile_r0_c1.tif")
        let bytes = try Data(contentsOf: truncated)
        try bytes.prefix(bytes.count / 3).write(to: truncated)
        // Label of another size.
        let wrong = labels.appendingPathComponent("tile_r1_c1.tif")
        try FileManager.default.removeItem(at: wrong)
        try GeoTIFFWriter.writeClassIds([UInt8](repeating: 0, count: 16 * 16), width: 16, height: 16, to: wrong.path,
                                        georeference: Georeference(of: Raster(path: Self.labels.appendingPathComponent("tile_r1_c1.tif").path)))
        // Missing label.
        try FileManager.default.removeItem(at: labels.appendingPathComponent("tile_r2_c2.tif"))
        for name in names where !["tile_r0_c1.tif", "tile_r1_c1.tif", "tile_r2_c2.tif"].contains(name) {
            try FileManager.default.copyItem(at: Self.images.appendingPathComponent(name), to: goodImages.appendingPathComponent(name))
            try FileManager.default.copyItem(at: Self.labels.appendingPathComponent(name), to: goodLabels.appendingPathComponent(name))
        }
        return (images, labels, goodImages, goodLabels)
    }

    @Test func skipModeRecordsBadTilesAndScoresTheRestLikeARunOverTheGoodTiles() throws {
        let root = try GeoLensCLI.temporaryDirectory("reliability-skip")
        defer { try? FileManager.default.removeItem(at: root) }
        let tiles = try damagedTiles(root)
        func eval(_ images: URL, _ labels: URL, _ out: String, _ extra: [String] = []) throws -> GeoLensCLI.Result {
            try GeoLensCLI.run(["eval", "--model", Self.model, "--images", images.path, "--labels", labels.path,
                                "--out", root.appendingPathComponent(out).path] + extra)
        }
        // Default: the first bad tile stops the run, named.
        let failing = try eval(tiles.images, tiles.labels, "fail")
        #expect(failing.status == 1 && failing.stderr.hasPrefix("error:"), "\(failing.stderr)")

        let skipped = try eval(tiles.images, tiles.labels, "skip", ["--on-error", "skip"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stdout.contains("3 tiles failed"))
        var metrics = try json(root.appendingPathComponent("skip/metrics.json"))
        let failed = try #require(metrics["failed_tiles"] as? [[String: String]])
        #expect(failed.map { $0["tile"] } == ["tile_r0_c1.tif", "tile_r1_c1.tif", "tile_r2_c2.tif"])
        #expect(failed[0]["error"]?.contains("tile_r0_c1.tif") == true)
        #expect(failed[2]["error"]?.contains("no label") == true)
        let report = try String(contentsOf: root.appendingPathComponent("skip/report.html"), encoding: .utf8)
        #expect(report.contains("Failed tiles") && report.contains("tile_r2_c2.tif"))

        // The numbers are those of a run over the nine good tiles.
        #expect(try eval(tiles.goodImages, tiles.goodLabels, "good").status == 0)
        var good = try json(root.appendingPathComponent("good/metrics.json"))
        metrics["failed_tiles"] = nil
        metrics["model"] = nil
        good["model"] = nil
        #expect(NSDictionary(dictionary: metrics).isEqual(to: good))

        // Resume keeps the failures; shards and merge keep them too.
        let first = try Data(contentsOf: root.appendingPathComponent("skip/metrics.json"))
        let again = try eval(tiles.images, tiles.labels, "skip", ["--on-error", "skip"])
        #expect(again.status == 0 && again.stderr.contains("resuming"), "\(again.stderr)")
        #expect(try Data(contentsOf: root.appendingPathComponent("skip/metrics.json")) == first)
        for i in 0..<2 {
            #expect(try eval(tiles.images, tiles.labels, "shard\(i)", ["--on-error", "skip", "--shard", "\(i)/2"]).status == 0)
        }
        let merge = try GeoLensCLI.run(["merge", root.appendingPathComponent("shard0").path, root.appendingPathComponent("shard1").path,
                                        "--out", root.appendingPathComponent("merged").path])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try Data(contentsOf: root.appendingPathComponent("merged/metrics.json"))
                == Data(contentsOf: root.appendingPathComponent("skip/metrics.json")))

        // --max-failures stops the run once exceeded.
        let limited = try eval(tiles.images, tiles.labels, "limited", ["--on-error", "skip", "--max-failures", "1"])
        #expect(limited.status == 1 && limited.stderr.contains("max_failures 1"), "\(limited.stderr)")
        let misuse = try eval(tiles.images, tiles.labels, "misuse", ["--max-failures", "1"])
        #expect(misuse.status == 64 && misuse.stderr.contains("on_error"), "\(misuse.stderr)")
    }

    @Test func explainAndPredictSkipBadTilesToo() throws {
        let root = try GeoLensCLI.temporaryDirectory("reliability-explain")
        defer { try? FileManager.default.removeItem(at: root) }
        let tiles = try damagedTiles(root)
        let explain = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", tiles.images.path, "--out",
                                          root.appendingPathComponent("explain").path, "--method", "gradcam", "--class", "cloud",
                                          "--on-error", "skip"])
        #expect(explain.status == 0, "\(explain.stderr)")
        let document = try json(root.appendingPathComponent("explain/attributions.json"))
        let failed = try #require(document["failed_tiles"] as? [[String: String]])
        #expect(failed.count == 1 && failed[0]["tile"]?.hasSuffix("tile_r0_c1.tif") == true)
        #expect((document["records"] as? [Any])?.count == 11)

        let predict = try GeoLensCLI.run(["predict", "--model", Self.model, "--input", tiles.images.path, "--out",
                                          root.appendingPathComponent("predict").path, "--on-error", "skip", "--tile", "32", "--overlap", "8"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let scenes = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: root.appendingPathComponent("predict/failed_scenes.json"))) as? [[String: String]])
        #expect(scenes.count == 1 && scenes[0]["input"]?.hasSuffix("tile_r0_c1.tif") == true)
    }

    @Test func sigtermFlushesTheJournalAndTheSameCommandResumesToTheSameNumbers() throws {
        let root = try GeoLensCLI.temporaryDirectory("reliability-signal")
        defer { try? FileManager.default.removeItem(at: root) }
        // MC dropout makes each tile slow enough to be caught mid-run.
        let arguments = ["eval", "--model", Self.model, "--images", Self.images.path, "--labels", Self.labels.path,
                         "--batch", "1", "--threads", "1", "--mc-dropout", "12"]
        let whole = try GeoLensCLI.run(arguments + ["--out", root.appendingPathComponent("whole").path])
        #expect(whole.status == 0, "\(whole.stderr)")

        let out = root.appendingPathComponent("interrupted")
        let process = Process()
        process.executableURL = GeoLensCLI.executable
        process.arguments = arguments + ["--out", out.path]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let journal = out.appendingPathComponent("journal.jsonl")
        let deadline = Date().addingTimeInterval(60)
        // Wait for at least two scored tiles (header plus two lines) before the signal.
        while Date() < deadline {
            if let text = try? String(contentsOf: journal, encoding: .utf8), text.split(separator: "\n").count >= 3 { break }
            usleep(20_000)
        }
        kill(process.processIdentifier, SIGTERM)
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationReason == .exit, "geolens died of a signal instead of stopping")
        if process.terminationStatus == 0 {
            // The run finished before the signal arrived; nothing to resume.
            return
        }
        #expect(process.terminationStatus == 143, "\(message)")
        #expect(message.contains("interrupted by SIGTERM") && message.contains("resume"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("metrics.json").path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")

        let resumed = try GeoLensCLI.run(arguments + ["--out", out.path])
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming"), "\(resumed.stderr)")
        #expect(try Data(contentsOf: out.appendingPathComponent("metrics.json"))
                == Data(contentsOf: root.appendingPathComponent("whole/metrics.json")))
    }

    @Test func aFullDiskIsAnErrorNamingThePathWithNoPartialFileAndAValidJournal() throws {
        let mountPoint = try GeoLensCLI.temporaryDirectory("reliability-full")
        defer { try? FileManager.default.removeItem(at: mountPoint) }
        // A 400 KiB tmpfs: room for the journal and a few rasters, not for every prediction.
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=400k", "tmpfs", mountPoint.path]
        mount.standardError = FileHandle.nullDevice
        guard (try? mount.run()) != nil else { return }
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else {
            print("full-disk test skipped: cannot mount a tmpfs here (needs root)")
            return
        }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [mountPoint.path]
            try? umount.run()
            umount.waitUntilExit()
        }
        let out = mountPoint.appendingPathComponent("run")
        let result = try GeoLensCLI.run(["eval", "--model", Self.model, "--images", Self.images.path, "--labels", Self.labels.path,
                                         "--out", out.path, "--write-predictions", "--probabilities"])
        #expect(result.status == 1, "\(result.stderr)")
        // Progress lines may precede it; the failure is one `error:` line naming the file.
        let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1 && errors[0].contains(mountPoint.path), "\(result.stderr)")
        // No temporary or half-written file is left, and the journal still parses line by line.
        let files = (try? FileManager.default.subpathsOfDirectory(atPath: out.path)) ?? []
        #expect(files.allSatisfy { !($0 as NSString).lastPathComponent.hasPrefix(".") }, "left: \(files)")
        let journal = try String(contentsOf: out.appendingPathComponent("journal.jsonl"), encoding: .utf8)
        for line in journal.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "journal line cut: \(line.prefix(80))")
        }
    }
}
