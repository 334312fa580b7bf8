import Foundation
import GeoLensGeo
import GeoLensReport
import GeoLensTestSupport
import Testing

/// Rasters written by predict, eval and explain are Cloud-Optimized GeoTIFFs with overviews by
/// default (plain with `--no-cog`), with a QGIS style beside each class, entropy and attribution
/// raster.
@Suite("Cloud-Optimized outputs and QGIS styles", .serialized)
struct CloudOptimizedOutputTests {
    static let model = Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path
    static let classes = ["clear", "cloud", "shadow"]

    /// The fixture scene tiled 2 x 2 (512 x 384 pixels), big enough for an overview level.
    static func largeScene(in directory: URL) throws -> String {
        let scene = try Raster(path: Fixtures.url("fixtures/scene/scene.tif").path)
        let block = try scene.read()
        let (w, h, bands) = (scene.width, scene.height, scene.bandCount)
        let path = directory.appendingPathComponent("large.tif").path
        let writer = try GeoTIFFWriter(path: path, width: 2 * w, height: 2 * h, bandCount: bands, dataType: .uint16,
                                       georeference: Georeference(of: scene),
                                       bandDescriptions: scene.bands.map(\.bandDescription))
        let values = block.values.scalars
        for b in 0..<bands {
            let plane = Array(values[(b * w * h)..<((b + 1) * w * h)])
            for (x, y) in [(0, 0), (w, 0), (0, h), (w, h)] {
                try writer.write(band: b + 1, window: RasterWindow(x: x, y: y, width: w, height: h), values: plane)
            }
        }
        try writer.finish()
        return path
    }

    /// Checks the palette style of a class raster: the classes in order with the report palette.
    static func expectClassStyle(besides raster: String) throws {
        let style = try QGISStyleDocument(contentsOf: URL(fileURLWithPath: (raster as NSString).deletingPathExtension + ".qml"))
        #expect(style.root == "qgis" && style.rendererType == "paletted")
        #expect(style.entries.map(\.label) == classes)
        #expect(style.entries.map(\.value) == [0, 1, 2])
        let palette = ClassPalette(classCount: classes.count).colors
        #expect(style.entries.map(\.color) == palette.map { String(format: "#%02x%02x%02x", $0.red, $0.green, $0.blue) })
    }

    @Test("predict writes COG rasters with overviews and QGIS styles; --no-cog writes plain GeoTIFFs")
    func predictOutputs() throws {
        let directory = try GeoLensCLI.temporaryDirectory("cog-predict")
        defer { try? FileManager.default.removeItem(at: directory) }
        let scene = try Self.largeScene(in: directory)
        let out = directory.appendingPathComponent("cog")
        let result = try GeoLensCLI.run(["predict", "--model", Self.model, "--input", scene, "--out", out.path,
                                         "--tile", "128", "--overlap", "32", "--probabilities"])
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["large_pred.tif", "large_entropy.tif", "large_prob.tif"] {
            let raster = try Raster(path: out.appendingPathComponent(name).path)
            let layout = raster.layout()
            #expect(layout.isCloudOptimized, "\(name)")
            #expect(layout.overviews == [[256, 192]], "\(name): \(layout.overviews)")
        }
        let classes = try Raster(path: out.appendingPathComponent("large_pred.tif").path)
        let overview = try classes.readOverview(level: 0, band: 1)
        #expect(Set(overview.values).isSubset(of: [0, 1, 2, 255]), "class overviews hold class ids only")
        try Self.expectClassStyle(besides: out.appendingPathComponent("large_pred.tif").path)
        let entropy = try QGISStyleDocument(contentsOf: out.appendingPathComponent("large_entropy.qml"))
        #expect(entropy.rendererType == "singlebandpseudocolor")
        #expect(entropy.classificationRange.map { $0.lowerBound == 0 && abs($0.upperBound - log(3)) < 1e-6 } == true)
        #expect(entropy.entries.count >= 2)

        let plain = directory.appendingPathComponent("plain")
        let second = try GeoLensCLI.run(["predict", "--model", Self.model, "--input", scene, "--out", plain.path,
                                         "--tile", "128", "--overlap", "32", "--no-cog"])
        #expect(second.status == 0, "\(second.stderr)")
        let layout = try Raster(path: plain.appendingPathComponent("large_pred.tif").path).layout()
        #expect(!layout.isCloudOptimized && layout.overviews.isEmpty)
        try Self.expectClassStyle(besides: plain.appendingPathComponent("large_pred.tif").path)
        // The same pixels either way.
        let a = try Raster(path: out.appendingPathComponent("large_pred.tif").path).read().values.scalars
        let b = try Raster(path: plain.appendingPathComponent("large_pred.tif").path).read().values.scalars
        #expect(a == b)
    }

    @Test("eval --write-predictions styles every tile's rasters; cog: false in a config writes plain GeoTIFFs")
    func evalOutputs() throws {
        let out = try GeoLensCLI.temporaryDirectory("cog-eval")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["eval", "--model", Self.model, "--images", Fixtures.url("fixtures/tiles/images").path,
                                         "--labels", Fixtures.url("fixtures/tiles/labels").path, "--out", out.path,
                                         "--write-predictions", "--set", "cog=false"])
        #expect(result.status == 0, "\(result.stderr)")
        let predictions = out.appendingPathComponent("predictions")
        let names = try FileManager.default.contentsOfDirectory(atPath: predictions.path)
        #expect(names.filter { $0.hasSuffix("_pred.qml") }.count == 12)
        #expect(names.filter { $0.hasSuffix("_entropy.qml") }.count == 12)
        let tile = predictions.appendingPathComponent("tile_r0_c0_pred.tif").path
        #expect(try Raster(path: tile).layout().layout == nil)
        try Self.expectClassStyle(besides: tile)
    }

    @Test("explain writes COG attribution maps with a pseudocolor style beside each")
    func explainOutputs() throws {
        let out = try GeoLensCLI.temporaryDirectory("cog-explain")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input",
                                         Fixtures.url("fixtures/tiles/images/tile_r0_c1.tif").path,
                                         "--out", out.path, "--method", "gradcam++", "--class", "cloud"])
        #expect(result.status == 0, "\(result.stderr)")
        let map = out.appendingPathComponent("tile_r0_c1_gradcam++_cloud.tif").path
        let raster = try Raster(path: map)
        #expect(raster.layout().isCloudOptimized)
        let style = try QGISStyleDocument(contentsOf: out.appendingPathComponent("tile_r0_c1_gradcam++_cloud.qml"))
        #expect(style.rendererType == "singlebandpseudocolor")
        let values = try raster.read().values.scalars
        #expect(style.classificationRange.map { abs($0.lowerBound - Double(values.min()!)) < 1e-6
                                                && abs($0.upperBound - Double(values.max()!)) < 1e-6 } == true)
    }
}
