import Foundation
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensPipeline
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// Multi-source samples (`--source NAME=PATH`, the card's `inputs`) and multi-input ONNX models,
/// against onnxruntime references from scripts/fixtures/make_sources_fixture.py.
@Suite struct InputSourcesTests {
    static let images = Fixtures.url("fixtures/tiles/images")
    static let dir = Fixtures.url("fixtures/sources")
    static let fusion = dir.appendingPathComponent("fusion.onnx")
    static let sources = ["dem": dir.appendingPathComponent("dem_4326.tif").path,
                          "weather": dir.appendingPathComponent("weather.csv").path]

    struct Reference: Decodable {
        struct Entry: Decodable { let shape: [Int]; let logits: [Float]; let invalid_pixels: Int?; let window: [Int]? }
        let fusion: [String: Entry]
        let siamese: [String: Entry]
    }

    static func reference() throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: dir.appendingPathComponent("reference.json")))
    }

    static func source(images: String = images.path, sources: [String: String] = sources) throws -> SampleSource {
        var options = SampleSourceOptions(images: images)
        options.sources = sources
        return try SampleSource(options)
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test func fusionModelOnWarpedAndCSVSourcesMatchesOnnxruntime() throws {
        let session = try ModelSession.load(checkpoint: Self.fusion.path)
        #expect(session.inputChannels == 9)
        let source = try Self.source()
        let reference = try Self.reference()
        #expect(reference.fusion.count == 3)
        for (stem, expected) in reference.fusion {
            let file = try #require(source.file(named: stem))
            let sample = try source.read(file, card: session.card)
            #expect(sample.inputs.map(\.name) == ["image", "dem", "weather"])
            #expect(sample.inputs.map { $0.values.shape[0] } == [6, 1, 2])
            let output = session.output(sample.stacked.reshaped([1, 9, sample.height, sample.width]))
            #expect(output.shape == expected.shape)
            let worst = Self.maxDifference(output.scalars, expected.logits)
            #expect(worst < 1e-4, "\(stem): max |GeoLens - onnxruntime| = \(worst)")
            // DEM nodata (a hole in the DEM) is carried into the validity mask.
            #expect(sample.validity.filter { !$0 }.count == expected.invalid_pixels, "\(stem)")
        }
    }

    @Test func aRasterInputWithoutBandsTakesTheChannelsTheGraphDeclares() throws {
        let dir = try GeoLensCLI.temporaryDirectory("sources-nobands")
        defer { try? FileManager.default.removeItem(at: dir) }
        var card = try ModelCard.load(from: Self.dir.appendingPathComponent("fusion.onnx.json"))
        card.inputs![1].bands = nil
        let cardURL = dir.appendingPathComponent("card.json")
        try JSONEncoder().encode(card).write(to: cardURL)
        let session = try ModelSession.load(checkpoint: Self.fusion.path, card: cardURL.path)
        #expect(session.card.inputs?[1].bands == [1])
        let source = try Self.source()
        let sample = try source.read(try #require(source.file(named: "tile_r2_c3")), card: session.card)
        let output = session.output(sample.stacked.reshaped([1, 9, 64, 64]))
        #expect(Self.maxDifference(output.scalars, try #require(try Self.reference().fusion["tile_r2_c3"]).logits) < 1e-4)
        // A built-in architecture cannot tell how many bands such an input takes.
        let unet = ModelCard(architecture: "unet", classes: ["a", "b"], inputs: [ModelInput(name: "image", source: "images")])
        try JSONEncoder().encode(unet).write(to: cardURL)
        let error = #expect(throws: PipelineError.self) {
            try ModelSession.load(checkpoint: Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path, card: cardURL.path)
        }
        #expect(error?.message.contains("gives no 'bands'") == true, "\(error?.message ?? "")")
    }

    @Test func namedForwardEqualsTheStackedForward() throws {
        let session = try ModelSession.load(checkpoint: Self.fusion.path)
        let model = try #require(session.model as? any MultiInputModel)
        let source = try Self.source()
        let sample = try source.read(try #require(source.file(named: "tile_r0_c0")), card: session.card)
        let x = session.normalized(sample.stacked.reshaped([1, 9, 64, 64]))
        let named = model.inputLayout.unpack(x)
        #expect(named["weather"]?.shape == [1, 2] && named["dem"]?.shape == [1, 1, 64, 64])
        let a = GradientMode.withoutRecording { model.forward(inputs: named, context: ForwardContext(mode: .evaluation)) }
        let b = GradientMode.withoutRecording { model.forward(x, context: ForwardContext(mode: .evaluation)) }
        #expect(Self.maxDifference(a.scalars, b.scalars) == 0)
        let repacked = model.inputLayout.pack(named, height: 64, width: 64)
        #expect(Self.maxDifference(repacked.scalars, x.scalars) < 1e-6)
    }

    @Test func predictOverAWindowOfEverySourceMatchesTheTile() throws {
        let out = try GeoLensCLI.temporaryDirectory("sources-predict")
        defer { try? FileManager.default.removeItem(at: out) }
        var settings = PredictionSettings(model: Self.fusion.path, input: Self.images.appendingPathComponent("tile_r1_c1.tif").path,
                                          out: out.path, tile: 64, overlap: 0, batch: 1)
        settings.sources = Self.sources
        settings.probabilities = true
        var run = PredictionRun(settings: settings)
        let scenes = try run.run()
        #expect(scenes.count == 1 && scenes[0].windows == 1)
        let probabilities = try Raster(path: out.appendingPathComponent("tile_r1_c1_prob.tif").path).read()
        let expected = try #require(try Self.reference().fusion["tile_r1_c1"])
        let logits = Tensor(shape: expected.shape, scalars: expected.logits).softmax(alongAxis: 1)
        // Pixels without a DEM value are no data in the outputs; the others are the reference's softmax.
        var worst: Float = 0
        for c in 0..<3 {
            for i in 0..<(64 * 64) where probabilities.validity[i] {
                worst = max(worst, abs(probabilities.values.scalars[c * 4096 + i] - logits.scalars[c * 4096 + i]))
            }
        }
        #expect(worst < 1e-4)
        #expect(probabilities.validity.filter { !$0 }.count == expected.invalid_pixels)
    }

    @Test func aRasterDirectorySourcePairsByStem() throws {
        let dir = try GeoLensCLI.temporaryDirectory("sources-dir")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dems = dir.appendingPathComponent("dem")
        try FileManager.default.createDirectory(at: dems, withIntermediateDirectories: true)
        let tile = try Raster(path: Self.images.appendingPathComponent("tile_r0_c0.tif").path)
        let values = Tensor(shape: [1, 64, 64], scalars: (0..<4096).map { Float($0) })
        try GeoTIFFWriter.writeFloat32(values, to: dems.appendingPathComponent("tile_r0_c0.tif").path, georeference: Georeference(of: tile))
        let images = dir.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for stem in ["tile_r0_c0", "tile_r0_c1"] {
            try FileManager.default.copyItem(at: Self.images.appendingPathComponent("\(stem).tif"), to: images.appendingPathComponent("\(stem).tif"))
        }
        let card = ModelCard(architecture: "onnx", inputs: [
            ModelInput(name: "image", source: "images", bands: [1, 2, 3]),
            ModelInput(name: "dem", source: "dem", bands: [1], inputScale: 2),
        ])
        try card.validate()
        let source = try Self.source(images: images.path, sources: ["dem": dems.path])
        let sample = try source.read(try #require(source.file(named: "tile_r0_c0")), card: card)
        #expect(sample.stacked.shape == [4, 64, 64])
        #expect(sample.inputs[1].values.scalars == values.scalars.map { $0 * 2 })
        let error = #expect(throws: PipelineError.self) { try source.read(try #require(source.file(named: "tile_r0_c1")), card: card) }
        #expect(error?.message.contains("tile_r0_c1.tif") == true && error?.message.contains(dems.path) == true)
    }

    @Test func aTileOutsideTheSourceAMissingRowAndAnUntransformableCRSAreErrorsNamingBothFiles() throws {
        let dir = try GeoLensCLI.temporaryDirectory("sources-errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let session = try ModelSession.load(checkpoint: Self.fusion.path)
        let images = dir.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let values = Tensor(shape: [6, 16, 16], scalars: [Float](repeating: 1000, count: 6 * 256))
        // Far from the DEM (UTM 33N, 300 km east).
        let far = Georeference(geoTransform: GeoTransform([800000, 10, 0, 5200000, 0, -10]), crs: CRSInfo(epsg: 32633))
        try GeoTIFFWriter.writeFloat32(values, to: images.appendingPathComponent("tile_r0_c0.tif").path, georeference: far)
        let outside = #expect(throws: PipelineError.self) {
            let source = try Self.source(images: images.path)
            _ = try source.read(source.files[0], card: session.card)
        }
        #expect(outside?.message.contains("outside the extent") == true)
        #expect(outside?.message.contains("tile_r0_c0.tif") == true && outside?.message.contains("dem_4326.tif") == true)

        // A tile the CSV has no row for.
        let near = Georeference(geoTransform: GeoTransform([500000, 10, 0, 5200000, 0, -10]), crs: CRSInfo(epsg: 32633))
        try FileManager.default.removeItem(at: images.appendingPathComponent("tile_r0_c0.tif"))
        try GeoTIFFWriter.writeFloat32(values, to: images.appendingPathComponent("unknown.tif").path, georeference: near)
        let missing = #expect(throws: PipelineError.self) {
            let source = try Self.source(images: images.path)
            _ = try source.read(source.files[0], card: session.card)
        }
        #expect(missing?.message.contains("weather.csv") == true && missing?.message.contains("unknown.tif") == true)

        // A tile whose CRS GDAL cannot transform into the DEM's (a local engineering CRS).
        let local = try #require(CRSInfo(wkt: #"LOCAL_CS["site grid",UNIT["metre",1],AXIS["Easting",EAST],AXIS["Northing",NORTH]]"#))
        try FileManager.default.removeItem(at: images.appendingPathComponent("unknown.tif"))
        try GeoTIFFWriter.writeFloat32(values, to: images.appendingPathComponent("tile_r0_c0.tif").path,
                                       georeference: Georeference(geoTransform: GeoTransform([0, 10, 0, 0, 0, -10]), crs: local))
        let crs = #expect(throws: PipelineError.self) {
            let source = try Self.source(images: images.path)
            _ = try source.read(source.files[0], card: session.card)
        }
        #expect(crs?.message.contains("tile_r0_c0.tif") == true && crs?.message.contains("dem_4326.tif") == true, "\(crs?.message ?? "")")
    }

    @Test func cardInputsAreCheckedAndSourcesMustBeBound() throws {
        func fails(_ card: ModelCard, _ text: String) {
            let error = #expect(throws: ModelCardError.self) { try card.validate() }
            #expect(error?.message.contains(text) == true, "\(error?.message ?? "")")
        }
        fails(ModelCard(architecture: "onnx", inputs: [ModelInput(name: "image", source: "images", bands: [1], columns: ["a"])]),
              "has both 'bands' and 'columns'")
        fails(ModelCard(architecture: "onnx", inputs: [ModelInput(name: "image", source: "images", bands: [1]),
                                                       ModelInput(name: "image", source: "images", bands: [2])]), "names 'image' twice")
        fails(ModelCard(architecture: "onnx", mean: [0], inputs: [ModelInput(name: "image", source: "images", bands: [1])]),
              "card-level 'mean'")
        fails(ModelCard(architecture: "onnx", inputs: [ModelInput(name: "dem", source: "dem", bands: [1])]), "source 'images'")
        fails(ModelCard(architecture: "onnx", inputs: [ModelInput(name: "image", source: "images", bands: [1]),
                                                       ModelInput(name: "dem", source: "dem", bands: [1], resampling: "lanczos")]),
              "resampling 'lanczos'")
        // Decoding is strict: a misspelt key names the nearest one.
        let json = #"{"architecture": "onnx", "inputs": [{"name": "image", "source": "images", "band": [1]}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ModelCard.self, from: Data(json.utf8)) }

        let session = try ModelSession.load(checkpoint: Self.fusion.path)
        let unbound = #expect(throws: PipelineError.self) {
            let source = try Self.source(sources: ["dem": Self.sources["dem"]!])
            _ = try source.read(source.files[0], card: session.card)
        }
        #expect(unbound?.kind == .usage && unbound?.message.contains("--source weather=PATH") == true)
        let flags = #expect(throws: PipelineError.self) { try InputSources.parse(["dem"]) }
        #expect(flags?.message.contains("NAME=PATH") == true)
        #expect(try InputSources.parse(["dem=a.tif", "w=b.csv"]) == ["dem": "a.tif", "w": "b.csv"])
    }

    /// Exact Shapley values over whole inputs equal the average marginal contribution over all
    /// orderings of the inputs, computed here by brute force from the model itself.
    @Test func exactShapleyOverInputsEqualsBruteForceOverOrderings() throws {
        let session = try ModelSession.load(checkpoint: Self.fusion.path)
        let source = try Self.source()
        let sample = try source.read(try #require(source.file(named: "tile_r1_c1")), card: session.card)
        let input = session.normalized(sample.stacked.reshaped([1, 9, 64, 64]))
        let layout = try #require(session.card.inputLayout)
        let features = layout.entries.map { AttributionFeature(name: $0.name, channels: Array($0.channels)) }
        let baseline = try Baseline.tileMean.tensor(for: input)
        let target = SegmentationTarget(classIndex: 1, height: 64, width: 64, mask: [Float](repeating: 1, count: 4096))
        let result = try ExactShapley.explain(model: session.model, input: input, baseline: baseline, features: features,
                                              targets: [target])[0]
        func value(_ present: Set<Int>) -> Double {
            let plane = 4096
            let mixed = input.withUnsafeBufferPointer { x in
                baseline.withUnsafeBufferPointer { b in
                    Tensor(shape: input.shape) { out in
                        for (f, feature) in features.enumerated() {
                            for c in feature.channels {
                                for i in c * plane..<(c + 1) * plane { out[i] = present.contains(f) ? x[i] : b[i] }
                            }
                        }
                    }
                }
            }
            return target.values(of: GradientMode.withoutRecording { session.model(mixed) })[0]
        }
        var brute = [Double](repeating: 0, count: 3)
        let orderings = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        for ordering in orderings {
            var present = Set<Int>()
            for f in ordering {
                let before = value(present)
                present.insert(f)
                brute[f] += (value(present) - before) / Double(orderings.count)
            }
        }
        #expect(result.featureNames == ["image", "dem", "weather"])
        for f in 0..<3 { #expect(abs(result.values[f] - brute[f]) < 1e-4, "\(features[f].name): \(result.values[f]) vs \(brute[f])") }
        #expect(brute.contains { abs($0) > 1e-3 })
    }

    /// The Siamese change model on two-date windows cut from the real Sentinel-2 raster (bands 1-4
    /// date 1, 5-8 date 2) matches onnxruntime.
    @Test func siameseChangeModelOnTwoDateTilesMatchesOnnxruntime() throws {
        guard let real = Fixtures.realData?.appendingPathComponent("s2_8band_two_dates_uint16.tif") else {
            print("skipped: ../shared/realdata is absent"); return
        }
        let dir = try GeoLensCLI.temporaryDirectory("sources-siamese")
        defer { try? FileManager.default.removeItem(at: dir) }
        let raster = try Raster(path: real.path)
        let reference = try Self.reference()
        #expect(reference.siamese.count == 2)
        for (name, expected) in reference.siamese {
            let w = try #require(expected.window)
            let window = RasterWindow(x: w[0], y: w[1], width: w[2], height: w[2])
            try GeoTIFFWriter.writeFloat32(try raster.read(window: window).values, to: dir.appendingPathComponent("\(name).tif").path,
                                           georeference: Georeference(of: raster, window: window))
        }
        let session = try ModelSession.load(checkpoint: Self.dir.appendingPathComponent("siamese.onnx").path)
        #expect(session.card.inputs?.map(\.name) == ["t1", "t2"])
        let source = try SampleSource(SampleSourceOptions(images: dir.path))
        for (name, expected) in reference.siamese {
            let sample = try source.read(try #require(source.file(named: name)), card: session.card)
            let output = session.output(sample.stacked.reshaped([1, 8, 32, 32]))
            let worst = Self.maxDifference(output.scalars, expected.logits)
            #expect(worst < 1e-4, "\(name): \(worst)")
        }
    }
}

/// `--groups` over the inputs of a multi-input card, and the per-input baselines.
@Suite struct InputGroupTests {
    static let fusion = InputSourcesTests.fusion

    @Test func groupsNameInputsAndChannelsWithinThem() throws {
        let out = try GeoLensCLI.temporaryDirectory("input-groups")
        defer { try? FileManager.default.removeItem(at: out) }
        for (method, groups, expected) in [("integrated-gradients", "vis=image:1,2,3;dem", ["vis", "dem"]),
                                           ("kernel-shap", "optical=image;terrain=dem;meteo=weather", ["optical", "terrain", "meteo"]),
                                           ("gradient-shap", "both=dem+weather;nir=4", ["both", "nir"])] {
            var settings = ExplanationSettings(model: Self.fusion.path, input: Fixtures.url("fixtures/tiles/images/tile_r0_c0.tif").path,
                                               out: out.appendingPathComponent(method).path,
                                               method: try #require(AttributionMethod(rawValue: method)))
            settings.sources = InputSourcesTests.sources
            settings.groups = groups
            settings.classes = ["cloud"]
            settings.samples = 32
            settings.steps = 16
            let document = try ExplanationRun(settings: settings).run()
            let record = try #require(document.records.first)
            #expect(record.groups == expected, "\(method)")
            #expect(record.values?.count == expected.count)
            if method == "integrated-gradients" {
                // Completeness holds over the whole input only up to the channels left out of the groups.
                #expect(record.completenessResidual.map(\.isFinite) == true)
            }
        }
        var settings = ExplanationSettings(model: Self.fusion.path, input: Fixtures.url("fixtures/tiles/images/tile_r0_c0.tif").path,
                                           out: out.appendingPathComponent("bad").path, method: .shapExact)
        settings.sources = InputSourcesTests.sources
        settings.groups = "x=radar"
        let error = #expect(throws: PipelineError.self) { try ExplanationRun(settings: settings).run() }
        #expect(error?.message.contains("radar") == true && error?.message.contains("image, dem, weather") == true)
        settings.groups = "x=image:7"
        let channel = #expect(throws: PipelineError.self) { try ExplanationRun(settings: settings).run() }
        #expect(channel?.message.contains("channels 1 to 6") == true)
    }

    /// DeepLIFT (rescale rule) through the multi-input forward: per-input group values whose sum
    /// is f(x) - f(baseline) (summation to delta).
    @Test func deepLiftOverInputsSumsToTheDelta() throws {
        let out = try GeoLensCLI.temporaryDirectory("input-groups-deeplift")
        defer { try? FileManager.default.removeItem(at: out) }
        // tile_r2_c3 has no invalid pixel, so the groups (which cover valid pixels) hold every attribution.
        var settings = ExplanationSettings(model: Self.fusion.path, input: Fixtures.url("fixtures/tiles/images/tile_r2_c3.tif").path,
                                           out: out.path, method: .deeplift)
        settings.sources = InputSourcesTests.sources
        settings.groups = "optical=image;terrain=dem;meteo=weather"
        settings.classes = ["cloud"]
        let record = try #require(try ExplanationRun(settings: settings).run().records.first)
        #expect(record.groups == ["optical", "terrain", "meteo"])
        let values = try #require(record.values)
        let delta = try #require(record.fullValue) - (try #require(record.baseValue))
        #expect(abs(values.reduce(0, +) - delta) < 1e-3 * max(1, abs(delta)), "\(values) vs \(delta)")
        #expect(values.allSatisfy { $0 != 0 }, "every input contributes")
    }

    @Test func theMeanBaselineIsTheTileMeanForRastersAndZeroForScalars() throws {
        let session = try ModelSession.load(checkpoint: Self.fusion.path)
        let source = try InputSourcesTests.source()
        let sample = try source.read(try #require(source.file(named: "tile_r2_c3")), card: session.card)
        let input = session.normalized(sample.stacked.reshaped([1, 9, 64, 64]))
        let baseline = try Baseline.tileMean.tensor(for: input).scalars
        let withLayout = try Baseline.tileMean.tensor(for: input, layout: session.card.inputLayout).scalars
        #expect(Array(withLayout[0..<(7 * 4096)]) == Array(baseline[0..<(7 * 4096)]))
        #expect(withLayout[(7 * 4096)...].allSatisfy { $0 == 0 })
        #expect(baseline[7 * 4096] != 0, "a scalar's own tile mean is its value, which would attribute nothing")
    }
}
