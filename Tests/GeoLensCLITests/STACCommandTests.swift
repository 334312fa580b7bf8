import Foundation
import GeoLensGeo
import GeoLensTestSupport
import Testing

/// STAC MLM items end to end: eval reads an item wherever it reads a card (as --model, as
/// --model-card, as the sidecar M.item.json), band names meet raster band descriptions, train
/// writes an item beside each checkpoint and export-stac one for any checkpoint with a card.
@Suite("STAC MLM items", .serialized)
struct STACCommandTests {
    static let checkpoint = Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path
    static let item = Fixtures.url("fixtures/stac/cloud_unet_a.item.json").path
    static let images = Fixtures.url("fixtures/tiles/images").path
    static let labels = Fixtures.url("fixtures/tiles/labels").path
    static let schemaURL = "https://stac-extensions.github.io/mlm/v1.5.2/schema.json"

    static func schemaValidator() throws -> JSONSchemaValidator {
        var validator = JSONSchemaValidator()
        let folder = Fixtures.url("fixtures/stac")
        try validator.register(file: folder.appendingPathComponent("mlm-v1.5.2.schema.json"), as: schemaURL)
        for (name, url) in [("classification-v1.1.0", "classification/v1.1.0"), ("processing-v1.1.0", "processing/v1.1.0"),
                            ("raster-v1.1.0", "raster/v1.1.0")] {
            try validator.register(file: folder.appendingPathComponent("\(name).schema.json"),
                                   as: "https://stac-extensions.github.io/\(url)/schema.json")
        }
        return validator
    }

    struct Metrics: Decodable, Equatable {
        let tiles: Int, pixels: Int
        let confusion_matrix: [[Int]]
    }

    func eval(_ arguments: [String], out: URL) throws -> Metrics {
        let result = try GeoLensCLI.run(["eval", "--images", Self.images, "--labels", Self.labels, "--out", out.path] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(Metrics.self, from: Data(contentsOf: out.appendingPathComponent("metrics.json")))
    }

    @Test("an item as --model, as --model-card and as the sidecar gives the metrics of the card")
    func itemsStandInForCards() throws {
        let directory = try GeoLensCLI.temporaryDirectory("stac-eval")
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try eval(["--model", Self.checkpoint], out: directory.appendingPathComponent("card"))
        #expect(try eval(["--model", Self.item], out: directory.appendingPathComponent("item")) == reference)
        #expect(try eval(["--model", Self.checkpoint, "--model-card", Self.item], out: directory.appendingPathComponent("flag")) == reference)
        // A checkpoint whose only sidecar is an item.
        let copy = directory.appendingPathComponent("m.safetensors")
        try FileManager.default.copyItem(atPath: Self.checkpoint, toPath: copy.path)
        let written = try GeoLensCLI.run(["export-stac", Self.checkpoint, "--out", directory.appendingPathComponent("m.item.json").path,
                                          "--bands-from", Self.images + "/tile_r0_c0.tif"])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(try eval(["--model", copy.path], out: directory.appendingPathComponent("sidecar")) == reference)
    }

    @Test("band names are matched to descriptions, or taken in order with a note when the raster has none")
    func bandNames() throws {
        let directory = try GeoLensCLI.temporaryDirectory("stac-bands")
        defer { try? FileManager.default.removeItem(at: directory) }
        // The fixture tiles without band descriptions.
        let bare = directory.appendingPathComponent("bare")
        for name in ["tile_r0_c0", "tile_r1_c1"] {
            let raster = try Raster(path: Self.images + "/\(name).tif")
            let block = try raster.read()
            let writer = try GeoTIFFWriter(path: bare.appendingPathComponent("\(name).tif").path, width: raster.width,
                                           height: raster.height, bandCount: raster.bandCount, dataType: .uint16,
                                           georeference: Georeference(of: raster))
            let plane = raster.width * raster.height
            for b in 0..<raster.bandCount {
                try writer.write(band: b + 1, window: raster.fullWindow, values: Array(block.values.scalars[(b * plane)..<((b + 1) * plane)]))
            }
            try writer.finish()
        }
        let out = directory.appendingPathComponent("out")
        let result = try GeoLensCLI.run(["predict", "--model", Self.item, "--input", bare.path, "--out", out.path])
        #expect(result.status == 0, "\(result.stderr)")
        let notes = result.stderr.split(separator: "\n").filter { $0.hasPrefix("note: ") && $0.contains("no band descriptions") }
        #expect(notes.count == 1, "one note for the run: \(result.stderr)")
        #expect(notes.first?.contains("B2 blue, B3 green") == true)
        // Too few bands for the names: one error naming the raster.
        let three = directory.appendingPathComponent("three.tif")
        let writer = try GeoTIFFWriter(path: three.path, width: 16, height: 16, bandCount: 3, dataType: .uint16, georeference: .none)
        for b in 1...3 { try writer.write(band: b, window: .full(width: 16, height: 16), values: [Float](repeating: 1000, count: 256)) }
        try writer.finish()
        let failed = try GeoLensCLI.run(["predict", "--model", Self.item, "--input", three.path, "--out", out.path, "--tile", "16", "--overlap", "0"])
        #expect(failed.status == 1)
        let lines = failed.stderr.split(separator: "\n").filter { !$0.hasPrefix("predict:") }
        #expect(lines.count == 1 && lines[0].hasPrefix("error: ") && lines[0].contains(three.path), "\(failed.stderr)")
    }

    @Test("train writes a schema-valid item beside each checkpoint that loads as the model")
    func trainWritesItems() throws {
        let out = try GeoLensCLI.temporaryDirectory("stac-train")
        defer { try? FileManager.default.removeItem(at: out) }
        let trained = try GeoLensCLI.run(["train", "--config", "configs/train-tiny.yaml", "--set", "run_dir=\(out.path)/run"],
                                         in: Fixtures.root)
        #expect(trained.status == 0, "\(trained.stderr)")
        let run = out.appendingPathComponent("run")
        let validator = try Self.schemaValidator()
        for name in ["best", "last"] {
            let url = run.appendingPathComponent("\(name).item.json")
            let errors = try validator.validate(json: Data(contentsOf: url), against: Self.schemaURL)
            #expect(errors.isEmpty, "\(name): \(errors)")
            let item = try #require(try JSONSchemaValidator.parse(Data(contentsOf: url)) as? [String: Any])
            let asset = (item["assets"] as? [String: Any])?["model"] as? [String: Any]
            #expect(asset?["href"] as? String == "./\(name).safetensors")
            let properties = try #require(item["properties"] as? [String: Any])
            let input = try #require((properties["mlm:input"] as? [Any])?.first as? [String: Any])
            #expect(input["bands"] as? [String] == ["B2 blue", "B3 green", "B4 red", "B8 nir", "B11 swir1", "B12 swir2"])
        }
        let viaItem = try eval(["--model", run.appendingPathComponent("best.item.json").path], out: out.appendingPathComponent("a"))
        let viaCard = try eval(["--model", run.appendingPathComponent("best.safetensors").path], out: out.appendingPathComponent("b"))
        #expect(viaItem == viaCard)
    }

    @Test("export-stac: errors are one line naming the file")
    func exportErrors() throws {
        let directory = try GeoLensCLI.temporaryDirectory("stac-export")
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = try GeoLensCLI.run(["export-stac", directory.appendingPathComponent("none.safetensors").path])
        #expect(missing.status != 0 && missing.stderr.hasPrefix("error: ") && missing.stderr.contains("none.safetensors"))
        // A card that selects bands by number, without names to give them.
        let card = directory.appendingPathComponent("subset.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("fixtures/models/cloud_unet_a.json"))) as? [String: Any])
        object["bands"] = [6, 5, 4, 3, 2, 1]
        try JSONSerialization.data(withJSONObject: object).write(to: card)
        let subset = try GeoLensCLI.run(["export-stac", Self.checkpoint, "--model-card", card.path,
                                         "--out", directory.appendingPathComponent("x.item.json").path])
        #expect(subset.status == 1)
        #expect(subset.stderr.split(separator: "\n").count == 1 && subset.stderr.contains("'bands'") && subset.stderr.contains("--bands-from"),
                "\(subset.stderr)")
        let named = try GeoLensCLI.run(["export-stac", Self.checkpoint, "--model-card", card.path, "--bands-from",
                                        Self.images + "/tile_r0_c0.tif", "--out", directory.appendingPathComponent("y.item.json").path])
        #expect(named.status == 0, "\(named.stderr)")
        let errors = try Self.schemaValidator().validate(json: Data(contentsOf: directory.appendingPathComponent("y.item.json")),
                                                         against: Self.schemaURL)
        #expect(errors.isEmpty, "\(errors)")
    }
}
