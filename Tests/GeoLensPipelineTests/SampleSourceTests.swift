import Foundation
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensPipeline
import GeoLensTestSupport
import Testing

@Suite struct SampleSourceTests {
    static let images = Fixtures.url("fixtures/tiles/images")
    static let labels = Fixtures.url("fixtures/tiles/labels")

    func card() throws -> ModelCard { try ModelCard.load(from: Fixtures.url("fixtures/models/cloud_unet_a.json")) }

    @Test func readsADirectoryAsTheCardFeedsTheModel() throws {
        let source = try SampleSource(SampleSourceOptions(images: Self.images.path, labels: Self.labels.path))
        #expect(source.files.count == 12)
        let card = try card()
        let sample = try source.read(source.files[0], card: card)
        #expect(sample.id == "tile_r0_c0.tif" && sample.stem == "tile_r0_c0")
        #expect(sample.inputs.map(\.name) == ["image"])
        #expect(sample.image.shape == [card.bands?.count ?? 6, sample.height, sample.width])
        #expect(sample.label?.mask?.count == sample.height * sample.width)
    }

    @Test func listFilesNameTilesRelativeToTheList() throws {
        let dir = try GeoLensCLI.temporaryDirectory("sample-list")
        defer { try? FileManager.default.removeItem(at: dir) }
        let list = dir.appendingPathComponent("tiles.txt")
        try FileManager.default.copyItem(at: Self.images.appendingPathComponent("tile_r1_c1.tif"),
                                         to: dir.appendingPathComponent("b.tif"))
        try "# two tiles\nb.tif\n\n\(Self.images.appendingPathComponent("tile_r0_c0.tif").path)\n"
            .write(to: list, atomically: true, encoding: .utf8)
        let source = try SampleSource(SampleSourceOptions(images: list.path))
        #expect(source.files.map(\.stem).sorted() == ["b", "tile_r0_c0"])
        #expect(source.files.contains { $0.relativePath == "b.tif" })

        try "missing.tif\n".write(to: list, atomically: true, encoding: .utf8)
        let error = #expect(throws: PipelineError.self) { try SampleSource(SampleSourceOptions(images: list.path)) }
        #expect(error?.message.contains("missing.tif") == true && error?.message.contains("line 1") == true)
    }

    @Test func labelRemappingAndSuffixesApplyWhileReading() throws {
        let dir = try GeoLensCLI.temporaryDirectory("sample-remap")
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = dir.appendingPathComponent("img"), labels = dir.appendingPathComponent("lab")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: labels, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.images.appendingPathComponent("tile_r0_c0.tif"),
                                         to: images.appendingPathComponent("a_img.tif"))
        let original = try LabelReader(path: Self.labels.appendingPathComponent("tile_r0_c0.tif").path).read()
        let raster = try Raster(path: Self.labels.appendingPathComponent("tile_r0_c0.tif").path)
        try GeoTIFFWriter.writeClassIds(original.map { $0 == 255 ? 255 : UInt8($0 + 100) }, width: raster.width,
                                        height: raster.height, to: labels.appendingPathComponent("a_mask.tif").path,
                                        georeference: Georeference(of: raster))
        let options = SampleSourceOptions(images: images.path, labels: labels.path, imageSuffix: "_img", labelSuffix: "_mask",
                                          labelRemap: [100: 0, 101: 1, 102: 2])
        let source = try SampleSource(options)
        let sample = try source.read(try #require(source.files.first), card: try card())
        #expect(sample.stem == "a")
        #expect(sample.label?.mask == original)
    }

    @Test func shardsComeFromTheFlagOrTheScheduler() throws {
        #expect(try Shard.resolve("1/3", environment: ["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2"]).description == "1/3")
        #expect(try Shard.resolve(nil, environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"]).description == "1/2")
        #expect(try Shard.resolve(nil, environment: ["JOB_COMPLETION_INDEX": "2", "GEOLENS_SHARD_COUNT": "4"]).description == "2/4")
        #expect(try Shard.resolve(nil, environment: [:]) == .all)
        #expect(throws: PipelineError.self) { try Shard.resolve("3/2", environment: [:]) }
    }
}

@Suite struct RunManifestTests {
    @Test func roundTripsAndResolvesSchemaOnePathsAgainstTheRunDirectory() throws {
        let dir = try GeoLensCLI.temporaryDirectory("manifest")
        defer { try? FileManager.default.removeItem(at: dir) }
        var manifest = RunManifest(command: "eval")
        manifest.record(SampleSourceOptions(images: "tiles/images", labels: "tiles/labels", imageSuffix: "_img",
                                            labelRemap: [10: 0]))
        #expect(manifest.images?.hasPrefix("/") == true)
        try manifest.write(to: dir)
        #expect(try RunManifest.load(from: dir) == manifest)

        // A schema-1 manifest with paths relative to the run directory.
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("data/images"), withIntermediateDirectories: true)
        try #"{"command": "eval", "images": "data/images", "seed": 3}"#.write(to: dir.appendingPathComponent("run.json"),
                                                                               atomically: true, encoding: .utf8)
        let old = try #require(try RunManifest.load(from: dir))
        #expect(old.schemaVersion == 1 && old.seed == 3)
        #expect(old.sampleSource(runDirectory: dir)?.images == dir.appendingPathComponent("data/images").path)

        try "[1, 2]".write(to: dir.appendingPathComponent("run.json"), atomically: true, encoding: .utf8)
        let error = #expect(throws: PipelineError.self) { try RunManifest.load(from: dir) }
        #expect(error?.message.contains("run.json") == true)
    }

    @Test func attributionFileNamesParseWithTheLongestMethodFirst() {
        let parsed = AttributionMethod.parseFileStem("tile_r0_c0_gradcam++_cloud_shadow")
        #expect(parsed?.tile == "tile_r0_c0" && parsed?.method == .gradcamPlusPlus && parsed?.className == "cloud_shadow")
        #expect(AttributionMethod.parseFileStem("a_layercam_water")?.method == .layercam)
        #expect(AttributionMethod.parseFileStem("a_unknown_water") == nil)
    }
}
