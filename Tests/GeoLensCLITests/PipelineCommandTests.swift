import Foundation
import GeoLensGeo
import GeoLensTestSupport
import Testing

/// What the shared pipeline gives every command: relative paths and moved run directories,
/// explain shards and merges, predict shards, one pairing rule, one palette, one config precedence.
@Suite struct PipelineCommandTests {
    static let model = "fixtures/models/cloud_unet_a.safetensors"
    static let images = "fixtures/tiles/images"
    static let labels = "fixtures/tiles/labels"

    func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// Thumbnail images in a report (embedded PNG data URIs).
    func thumbnailCount(_ report: URL) throws -> Int {
        let html = try String(contentsOf: report, encoding: .utf8)
        return try #require(htmlImageSources(html)).count
    }

    @Test func relativePathsGiveCompleteReportsAndMovedRunsStillRender() throws {
        let root = try GeoLensCLI.temporaryDirectory("pipeline-relative")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("run")
        // Relative --model/--images/--labels, run from the repository root as the README shows.
        let result = try GeoLensCLI.run(["eval", "--model", Self.model, "--images", Self.images, "--labels", Self.labels,
                                         "--out", out.path, "--write-predictions", "--threads", "2"], in: Fixtures.root)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let manifest = try json(out.appendingPathComponent("run.json"))
        #expect(manifest["schema_version"] as? Int == 2)
        #expect((manifest["images"] as? String)?.hasPrefix("/") == true)
        // 12 worst tiles x (composite, reference, prediction, error, entropy).
        let expected = try thumbnailCount(out.appendingPathComponent("report.html"))
        #expect(expected >= 12 * 5)

        // Copy the run directory elsewhere and render it from another working directory.
        let moved = root.appendingPathComponent("elsewhere/run")
        try FileManager.default.createDirectory(at: moved.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: out, to: moved)
        try FileManager.default.removeItem(at: moved.appendingPathComponent("report.html"))
        let report = try GeoLensCLI.run(["report", "elsewhere/run"], in: root)
        #expect(report.status == 0, "stderr: \(report.stderr)")
        #expect(try thumbnailCount(moved.appendingPathComponent("report.html")) == expected)
    }

    @Test func explainShardsFromTheSchedulerShareOneFolderAndMerge() throws {
        let root = try GeoLensCLI.temporaryDirectory("pipeline-explain-shards")
        defer { try? FileManager.default.removeItem(at: root) }
        let shared = root.appendingPathComponent("shards")
        let arguments = ["explain", "--model", Self.model, "--input", Self.images, "--out", shared.path,
                         "--method", "hirescam", "--class", "cloud", "--threads", "1"]
        for task in 0..<3 {
            let result = try GeoLensCLI.run(arguments, in: Fixtures.root,
                                            environment: ["SLURM_ARRAY_TASK_ID": String(task), "SLURM_ARRAY_TASK_COUNT": "3"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(FileManager.default.fileExists(atPath: shared.appendingPathComponent("attributions-shard-\(task)-of-3.json").path))
        }
        // Each task explained only its shard.
        let shardTiles = try (0..<3).map { task in
            try #require(json(shared.appendingPathComponent("attributions-shard-\(task)-of-3.json"))["records"] as? [[String: Any]]).count
        }
        #expect(shardTiles.reduce(0, +) == 12 && shardTiles.allSatisfy { $0 < 12 })

        // A merge with a shard missing is refused, naming it.
        let partial = root.appendingPathComponent("partial")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: shared.appendingPathComponent("attributions-shard-0-of-3.json"),
                                         to: partial.appendingPathComponent("attributions-shard-0-of-3.json"))
        let refused = try GeoLensCLI.run(["merge", partial.path, "--out", root.appendingPathComponent("bad").path])
        #expect(refused.status == 1 && refused.stderr.hasPrefix("error:") && refused.stderr.contains("1/3"))

        let merged = root.appendingPathComponent("merged")
        let merge = try GeoLensCLI.run(["merge", shared.path, "--out", merged.path])
        #expect(merge.status == 0, "stderr: \(merge.stderr)")
        let records = try #require(json(merged.appendingPathComponent("attributions.json"))["records"] as? [[String: Any]])
        #expect(records.count == 12)
        for record in records {
            let map = try #require(record["map"] as? String)
            #expect(FileManager.default.fileExists(atPath: merged.appendingPathComponent(map).path))
        }
        let gallery = try String(contentsOf: merged.appendingPathComponent("gallery.html"), encoding: .utf8)
        #expect(try #require(htmlImageSources(gallery)).count == 12)

        // The maps reach the report gallery of an eval run that holds them.
        let run = root.appendingPathComponent("eval")
        let eval = try GeoLensCLI.run(["eval", "--model", Self.model, "--images", Self.images, "--labels", Self.labels,
                                       "--out", run.path], in: Fixtures.root)
        #expect(eval.status == 0, "stderr: \(eval.stderr)")
        try FileManager.default.copyItem(at: merged, to: run.appendingPathComponent("explain/hirescam"))
        #expect(try GeoLensCLI.run(["report", run.path]).status == 0)
        let html = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("hirescam") && html.contains("Attribution gallery"))
    }

    @Test func explainAndEvalPairLabelsWithTheSameSuffixAndRemapRules() throws {
        let root = try GeoLensCLI.temporaryDirectory("pipeline-pairing")
        defer { try? FileManager.default.removeItem(at: root) }
        let images = root.appendingPathComponent("images"), labels = root.appendingPathComponent("labels")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: labels, withIntermediateDirectories: true)
        for stem in ["tile_r0_c0", "tile_r0_c1"] {
            try FileManager.default.copyItem(at: Fixtures.url("\(Self.images)/\(stem).tif"),
                                             to: images.appendingPathComponent("\(stem)_img.tif"))
            // Labels stored as 10/20/30 instead of 0/1/2.
            let source = Fixtures.url("\(Self.labels)/\(stem).tif").path
            let ids = try LabelReader(path: source).read()
            let raster = try Raster(path: source)
            try GeoTIFFWriter.writeClassIds(ids.map { $0 == 255 ? 255 : UInt8(($0 + 1) * 10) }, width: raster.width,
                                            height: raster.height, to: labels.appendingPathComponent("\(stem)_mask.tif").path,
                                            georeference: Georeference(of: raster))
        }
        let config = root.appendingPathComponent("pairing.yaml")
        try """
            image_suffix: _img
            label_suffix: _mask
            label_remap: {"10": 0, "20": 1, "30": 2}
            """.write(to: config, atomically: true, encoding: .utf8)
        let model = Fixtures.url(Self.model).path
        let eval = try GeoLensCLI.run(["eval", "--config", config.path, "--set", "model=\(model)", "--images", images.path,
                                       "--labels", labels.path, "--out", root.appendingPathComponent("eval").path])
        #expect(eval.status == 0, "stderr: \(eval.stderr)")
        let metrics = try json(root.appendingPathComponent("eval/metrics.json"))
        #expect((metrics["overall_accuracy"] as? Double ?? 0) > 0.8, "remapped labels score like the originals")

        let explain = try GeoLensCLI.run(["explain", "--config", config.path, "--set", "model=\(model)", "--input", images.path,
                                          "--labels", labels.path, "--out", root.appendingPathComponent("explain").path,
                                          "--method", "gradcam", "--target", "tp", "--class", "cloud"])
        #expect(explain.status == 0, "stderr: \(explain.stderr)")
        let records = try #require(json(root.appendingPathComponent("explain/attributions.json"))["records"] as? [[String: Any]])
        #expect(records.count == 2)
        #expect(records.allSatisfy { ($0["target_pixels"] as? Int ?? 0) > 0 }, "true positives exist once labels are remapped")
    }

    @Test func classRastersCarryThePaletteOfTheReports() throws {
        let root = try GeoLensCLI.temporaryDirectory("pipeline-palette")
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try GeoLensCLI.run(["predict", "--model", Self.model, "--input", "fixtures/tiles/images/tile_r0_c0.tif",
                                         "--out", root.path], in: Fixtures.root)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let info = Process()
        info.executableURL = URL(fileURLWithPath: "/usr/bin/gdalinfo")
        info.arguments = ["-json", root.appendingPathComponent("tile_r0_c0_pred.tif").path]
        let pipe = Pipe()
        info.standardOutput = pipe
        try info.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        info.waitUntilExit()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let band = try #require((object["bands"] as? [[String: Any]])?.first)
        let entries = try #require((band["colorTable"] as? [String: Any])?["entries"] as? [[Int]])
        // ClassPalette's first three colours (#56b4e9, #f0f0f0, #e69f00); 255 (nodata) transparent.
        #expect(Array(entries.prefix(3)) == [[0x56, 0xb4, 0xe9, 255], [0xf0, 0xf0, 0xf0, 255], [0xe6, 0x9f, 0x00, 255]])
        #expect(entries[255][3] == 0)
    }

    @Test func predictShardsAListOfScenes() throws {
        let root = try GeoLensCLI.temporaryDirectory("pipeline-predict-shards")
        defer { try? FileManager.default.removeItem(at: root) }
        let list = root.appendingPathComponent("scenes.txt")
        try ["tile_r0_c0.tif", "tile_r0_c1.tif", "tile_r1_c0.tif", "tile_r1_c1.tif"]
            .map { Fixtures.url("\(Self.images)/\($0)").path }.joined(separator: "\n")
            .write(to: list, atomically: true, encoding: .utf8)
        var written: [String] = []
        for shard in 0..<2 {
            let out = root.appendingPathComponent("out")
            let result = try GeoLensCLI.run(["predict", "--model", Self.model, "--input", list.path, "--out", out.path,
                                             "--shard", "\(shard)/2", "--tile", "32", "--overlap", "8"], in: Fixtures.root)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let now = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix("_pred.tif") }
            #expect(now.count > written.count, "shard \(shard) predicted at least one scene")
            written = now
        }
        #expect(written.count == 4)
    }

    @Test func flagsBeatSetAndSetBeatsTheConfigFile() throws {
        let root = try GeoLensCLI.temporaryDirectory("pipeline-precedence")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("explain.yaml")
        try "method: not-a-method\nsamples: 1\n".write(to: config, atomically: true, encoding: .utf8)
        let base = ["explain", "--config", config.path, "--model", Self.model, "--input", Self.images + "/tile_r0_c0.tif",
                    "--out", root.appendingPathComponent("out").path, "--class", "cloud"]
        // --set fixes the file's method, the flag fixes --set's samples.
        let result = try GeoLensCLI.run(base + ["--set", "method=kernel-shap", "--set", "samples=1", "--samples", "16",
                                                "--groups", "a=1,2,3;b=4,5,6"], in: Fixtures.root)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let records = try #require(json(root.appendingPathComponent("out/attributions.json"))["records"] as? [[String: Any]])
        #expect(records.first?["method"] as? String == "kernel-shap")
        // Without the flag, --set's value wins over the file and is range-checked.
        let refused = try GeoLensCLI.run(base + ["--set", "method=kernel-shap", "--set", "samples=1"], in: Fixtures.root)
        #expect(refused.status == 64 && refused.stderr.contains("samples"))
    }

    @Test func theExampleProgramEvaluatesAFolderThroughTheLibrary() throws {
        let example = GeoLensCLI.executable.deletingLastPathComponent().appendingPathComponent("geolens-evaluate-folder")
        try #require(FileManager.default.isExecutableFile(atPath: example.path), "build the package first (swift build)")
        let root = try GeoLensCLI.temporaryDirectory("pipeline-example")
        defer { try? FileManager.default.removeItem(at: root) }
        let process = Process()
        process.executableURL = example
        process.arguments = [Self.model, Self.images, Self.labels, root.path]
        process.currentDirectoryURL = Fixtures.root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(output.contains("tiles 12, mIoU"))
        #expect(try thumbnailCount(root.appendingPathComponent("report.html")) >= 60)
    }
}
