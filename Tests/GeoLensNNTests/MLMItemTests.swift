import Foundation
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// STAC MLM items read as model cards: every value scaling type, band names, classes, and one
/// error naming the field for what GeoLens cannot carry out; items written by GeoLens validate
/// against the published MLM 1.5 schema and read back to the same card.
@Suite struct MLMItemTests {
    /// A minimal segmentation item; `input`/`output` entries override the defaults.
    static func item(input: [String: Any] = [:], output: [String: Any] = [:], properties: [String: Any] = [:],
                     bands: [String] = ["red", "green", "nir"]) -> [String: Any] {
        var modelInput: [String: Any] = [
            "name": "image", "bands": bands,
            "input": ["shape": [-1, bands.count, 64, 64], "dim_order": ["batch", "bands", "height", "width"], "data_type": "float32"],
        ]
        for (k, v) in input { modelInput[k] = v }
        var modelOutput: [String: Any] = [
            "name": "logits", "tasks": ["semantic-segmentation"],
            "result": ["shape": [-1, 2, 64, 64], "dim_order": ["batch", "class", "height", "width"], "data_type": "float32"],
            "classification:classes": [["value": 1, "name": "cloud"], ["value": 0, "name": "clear"],
                                       ["value": 255, "name": "nodata", "nodata": true]],
        ]
        for (k, v) in output { modelOutput[k] = v }
        var props: [String: Any] = [
            "datetime": "2024-01-01T00:00:00Z", "mlm:name": "test", "mlm:architecture": "U-Net",
            "mlm:tasks": ["semantic-segmentation"], "mlm:input": [modelInput], "mlm:output": [modelOutput],
        ]
        for (k, v) in properties { props[k] = v }
        return ["type": "Feature", "stac_version": "1.1.0", "stac_extensions": [MLMItem.schemaURL], "id": "test",
                "geometry": NSNull(), "properties": props, "links": [] as [Any],
                "assets": ["model": ["href": "./model.safetensors", "roles": ["mlm:model"], "mlm:artifact_type": "safetensors.torch.save_file"]]]
    }

    static func write(_ object: [String: Any], in directory: URL, name: String = "model.item.json") throws -> URL {
        let url = directory.appendingPathComponent(name)
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: url)
        return url
    }

    func card(_ object: [String: Any]) throws -> ModelCard {
        let directory = try GeoLensCLI.temporaryDirectory("mlm")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try ModelCard.load(from: Self.write(object, in: directory))
    }

    /// The error message of reading `object`, which must name the file.
    func failure(_ object: [String: Any]) throws -> String {
        let directory = try GeoLensCLI.temporaryDirectory("mlm")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = try Self.write(object, in: directory)
        do {
            _ = try ModelCard.load(from: url)
        } catch let error as ModelCardError {
            #expect(error.message.contains(url.path), "\(error.message)")
            return error.message
        }
        Issue.record("reading the item succeeded")
        return ""
    }

    @Test func mapsShapeBandsClassesAndArchitecture() throws {
        let card = try card(Self.item())
        #expect(card.architecture == "unet")
        #expect(card.inChannels == 3 && card.tileSize == 64)
        #expect(card.bandNames == ["red", "green", "nir"] && card.bands == nil)
        #expect(card.classes == ["clear", "cloud"])
        #expect(card.ignoreIndex == 255)
        #expect(card.mean == nil && card.std == nil && card.clipMin == nil)
    }

    @Test func everyValueScalingTypeMapsToTheCardsNormalization() throws {
        let bands = ["b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"]
        let scaling: [Any] = [
            ["type": "z-score", "mean": 100, "stddev": 50],
            ["type": "min-max", "minimum": 10, "maximum": 30],
            ["type": "clip", "minimum": 0, "maximum": 1000],
            ["type": "clip-min", "minimum": 5],
            ["type": "clip-max", "maximum": 7],
            ["type": "offset", "value": 3],
            ["type": "scale", "value": 4],
            ["type": NSNull()],
        ]
        let card = try card(Self.item(input: ["value_scaling": scaling], bands: bands))
        #expect(card.mean == [100, 10, 0, 0, 0, 3, 0, 0])
        #expect(card.std == [50, 20, 1, 1, 1, 1, 4, 1])
        #expect(card.clipMin == [nil, nil, 0, 5, nil, nil, nil, nil])
        #expect(card.clipMax == [nil, nil, 1000, nil, 7, nil, nil, nil])
        // The normalization the card implies equals each MLM formula.
        let x: [Float] = [160, 25, 2000, -3, 9, 10, 12, 42]
        var tensor = Tensor(shape: [1, 8, 1, 1], scalars: x)
        InputNormalization(card: card, channels: 8).apply(to: &tensor)
        let expected: [Float] = [(160 - 100) / 50, (25 - 10) / 20, 1000, 5, 7, 10 - 3, 12 / 4, 42]
        for (got, want) in zip(tensor.scalars, expected) { #expect(abs(got - want) <= 1e-6 * max(1, abs(want)), "\(got) vs \(want)") }
    }

    @Test func oneValueScalingObjectIsBroadcast() throws {
        let card = try card(Self.item(input: ["value_scaling": [["type": "z-score", "mean": 1000, "stddev": 2000]]]))
        #expect(card.mean == [1000, 1000, 1000] && card.std == [2000, 2000, 2000])
        let clipped = try self.card(Self.item(input: ["value_scaling": [["type": "clip", "minimum": 0, "maximum": 10000]]]))
        #expect(clipped.clipMin == [0, 0, 0] && clipped.clipMax == [10000, 10000, 10000] && clipped.mean == nil)
    }

    @Test func geolensHyperparametersCarryTheCardKeysMLMLacks() throws {
        let geolens: [String: Any] = ["architecture": "smp-unet-resnet34", "architecture_options": ["encoder_depth": 4],
                                      "output": "probabilities", "overlap": 8, "ignore_index": 0]
        let card = try card(Self.item(properties: ["mlm:hyperparameters": ["geolens": geolens]]))
        #expect(card.architecture == "smp-unet-resnet34" && card.output == .probabilities && card.overlap == 8)
        #expect(card.architectureOptions["encoder_depth"] == .number(4) && card.ignoreIndex == 0)
        let typo = try failure(Self.item(properties: ["mlm:hyperparameters": ["geolens": ["overlapp": 8]]]))
        #expect(typo.contains("mlm:hyperparameters.geolens") && typo.contains("overlap"))
    }

    @Test("what GeoLens cannot carry out is one error naming the field", arguments: [
        ("mlm:input[0].value_scaling[2].type", #"{"value_scaling": [{"type": "offset", "value": 1}, {"type": "scale", "value": 2}, {"type": "processing", "format": "gdal-calc", "expression": "A*2"}]}"#),
        ("mlm:input[0].pre_processing_function", #"{"pre_processing_function": {"format": "python", "expression": "m:f"}}"#),
        ("mlm:input[0].resize_type", #"{"resize_type": "interpolation-linear"}"#),
        ("mlm:input[0].bands[1].expression", #"{"bands": ["red", {"name": "ndvi", "format": "rio-calc", "expression": "(b2-b1)/(b2+b1)"}, "nir"]}"#),
        ("mlm:input[0].input.dim_order", #"{"input": {"shape": [-1, 64, 64, 3], "dim_order": ["batch", "height", "width", "bands"], "data_type": "float32"}}"#),
        ("mlm:input[0].value_scaling", #"{"value_scaling": [{"type": "scale", "value": 2}, {"type": "scale", "value": 3}]}"#),
        ("mlm:input[0].value_scaling[0].type", #"{"value_scaling": [{"type": "l2-norm"}]}"#),
    ])
    func unsupportedInputFields(field: String, inputJSON: String) throws {
        let input = try #require(try JSONSerialization.jsonObject(with: Data(inputJSON.utf8)) as? [String: Any])
        let message = try failure(Self.item(input: input))
        #expect(message.contains("field '\(field)'"), "\(message)")
    }

    @Test func unsupportedOutputsAndItems() throws {
        #expect(try failure(Self.item(output: ["tasks": ["object-detection"]])).contains("field 'mlm:output[0].tasks'"))
        #expect(try failure(Self.item(output: ["post_processing_function": ["format": "python", "expression": "m:argmax"]]))
            .contains("field 'mlm:output[0].post_processing_function'"))
        #expect(try failure(Self.item(output: ["classification:classes": [["value": 0, "name": "a"], ["value": 2, "name": "b"]]]))
            .contains("field 'mlm:output[0].classification:classes'"))
        #expect(try failure(Self.item(properties: ["mlm:architecture": "Swin Transformer"])).contains("field 'mlm:architecture'"))
        var twoInputs = Self.item()
        var properties = twoInputs["properties"] as! [String: Any]
        properties["mlm:input"] = (properties["mlm:input"] as! [Any]) + (properties["mlm:input"] as! [Any])
        twoInputs["properties"] = properties
        #expect(try failure(twoInputs).contains("field 'mlm:input'"))
        var noExtension = Self.item()
        noExtension["stac_extensions"] = [String]()
        #expect(try failure(noExtension).contains("field 'stac_extensions'"))
    }

    @Test func examplesOfTheMLMRepositoryAreRefusedNamingTheField() throws {
        let unet = Fixtures.url("fixtures/stac/mlm-example-pytorch-geo-unet.item.json")
        #expect { try ModelCard.load(from: unet) } throws: { error in
            "\(error)".contains("field 'mlm:output[0].result.dim_order'") && "\(error)".contains(unet.path)
        }
        let resnet = Fixtures.url("fixtures/stac/mlm-example-raster-bands.item.json")
        #expect { try ModelCard.load(from: resnet) } throws: { error in
            "\(error)".contains("field 'mlm:input[0].pre_processing_function'")
        }
    }

    // MARK: - Export and the published schema

    static func schemaValidator() throws -> JSONSchemaValidator {
        var validator = JSONSchemaValidator()
        let folder = Fixtures.url("fixtures/stac")
        try validator.register(file: folder.appendingPathComponent("mlm-v1.5.2.schema.json"), as: MLMItem.schemaURL)
        try validator.register(file: folder.appendingPathComponent("classification-v1.1.0.schema.json"),
                               as: "https://stac-extensions.github.io/classification/v1.1.0/schema.json")
        try validator.register(file: folder.appendingPathComponent("processing-v1.1.0.schema.json"),
                               as: "https://stac-extensions.github.io/processing/v1.1.0/schema.json")
        try validator.register(file: folder.appendingPathComponent("raster-v1.1.0.schema.json"),
                               as: "https://stac-extensions.github.io/raster/v1.1.0/schema.json")
        return validator
    }

    /// The STAC core fields an item needs, checked explicitly (the MLM schema checks MLM fields only).
    static func expectCoreFields(_ item: [String: Any]) {
        #expect(item["type"] as? String == "Feature")
        #expect(item["stac_version"] as? String == "1.1.0")
        #expect((item["id"] as? String)?.isEmpty == false)
        #expect(item.keys.contains("geometry") && item["links"] is [Any])
        let properties = item["properties"] as? [String: Any]
        #expect(properties?["datetime"] is String)
        #expect((item["assets"] as? [String: Any])?.isEmpty == false)
    }

    @Test func theValidatorAcceptsTheMLMExamplesAndCatchesBrokenItems() throws {
        let validator = try Self.schemaValidator()
        for name in ["mlm-example-pytorch-geo-unet.item.json", "mlm-example-raster-bands.item.json"] {
            let errors = try validator.validate(json: Data(contentsOf: Fixtures.url("fixtures/stac/\(name)")), against: MLMItem.schemaURL)
            #expect(errors.isEmpty, "\(name): \(errors)")
        }
        var broken = Self.item(input: ["value_scaling": [["type": NSNull()]]])
        var properties = broken["properties"] as! [String: Any]
        properties["mlm:name"] = nil
        broken["properties"] = properties
        let errors = try validator.validate(json: JSONSerialization.data(withJSONObject: broken), against: MLMItem.schemaURL)
        #expect(errors.contains { $0.contains("mlm:name") })
        #expect(errors.contains { $0.contains("value_scaling") })
    }

    @Test("exported items validate against the MLM 1.5 schema and read back to the card",
          arguments: ["fixtures/models/cloud_unet_a.json", "fixtures/models/smp_unet_resnet34_in4_c2.json"])
    func exportValidatesAndRoundTrips(cardPath: String) throws {
        let directory = try GeoLensCLI.temporaryDirectory("mlm-export")
        defer { try? FileManager.default.removeItem(at: directory) }
        var card = try ModelCard.load(from: Fixtures.url(cardPath))
        let channels = card.inChannels ?? card.bands?.count ?? 4
        let classes = card.classes?.count ?? 2
        let checkpoint = directory.appendingPathComponent("model.safetensors")
        try Data([1, 2, 3]).write(to: checkpoint)
        var facts = MLMItem.ExportFacts(checkpoint: checkpoint, format: "safetensors", inputChannels: channels, classCount: classes)
        facts.bandNames = (1...channels).map { "band \($0)" }
        facts.classColors = Array(repeating: "56b4e9", count: classes)
        facts.sha256 = String(repeating: "ab", count: 32)
        let itemURL = directory.appendingPathComponent("model.item.json")
        let data = try MLMItem.export(card: card, facts: facts, itemURL: itemURL)
        try data.write(to: itemURL)
        let errors = try Self.schemaValidator().validate(json: data, against: MLMItem.schemaURL)
        #expect(errors.isEmpty, "\(errors)")
        Self.expectCoreFields(try JSONSchemaValidator.parse(data) as! [String: Any])
        let back = try ModelCard.load(from: itemURL)
        #expect(try MLMItem.load(from: itemURL).checkpointURL() == checkpoint.standardizedFileURL)
        #expect(back.architecture == card.architecture && back.classes == card.classNames(count: classes))
        #expect(back.architectureOptions == card.architectureOptions && back.tileSize == card.tileSize)
        #expect(back.bandNames == facts.bandNames && back.inChannels == channels)
        // Same fed values: the item folds input_scale/offset into the per-band z-score.
        card.bands = nil
        let raw = Tensor(shape: [1, channels, 1, 2], scalars: (0..<(2 * channels)).map { Float($0) * 700 + 100 })
        var viaCard = raw, viaItem = raw
        viaCard.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = p[i] * Float(card.inputScale) + Float(card.inputOffset) }
        }
        InputNormalization(card: card, channels: channels).apply(to: &viaCard)
        #expect(back.inputScale == 1 && back.inputOffset == 0)
        InputNormalization(card: back, channels: channels).apply(to: &viaItem)
        for (a, b) in zip(viaCard.scalars, viaItem.scalars) { #expect(abs(a - b) <= 1e-5 * max(1, abs(a))) }
    }

    @Test func clippingWithScalingCannotBeExported() throws {
        var card = ModelCard(architecture: "unet", inChannels: 2, classes: ["a", "b"], mean: [1, 2], std: [3, 4])
        card.clipMin = [0, nil]
        let facts = MLMItem.ExportFacts(checkpoint: URL(fileURLWithPath: "/tmp/m.safetensors"), format: "safetensors",
                                        inputChannels: 2, classCount: 2)
        #expect { try MLMItem.export(card: card, facts: facts, itemURL: URL(fileURLWithPath: "/tmp/m.item.json")) } throws: { error in
            "\(error)".contains("clip_min")
        }
        card.mean = nil
        card.std = nil
        let data = try MLMItem.export(card: card, facts: facts, itemURL: URL(fileURLWithPath: "/tmp/m.item.json"))
        let errors = try Self.schemaValidator().validate(json: data, against: MLMItem.schemaURL)
        #expect(errors.isEmpty, "\(errors)")
        let back = try ModelCard.load(from: { () throws -> URL in
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("mlm-clip-\(UUID().uuidString).item.json")
            try data.write(to: url)
            return url
        }())
        #expect(back.clipMin == [0, nil] && back.clipMax == nil && back.mean == nil)
    }
}
