import Foundation
import GeoLensGeo
import GeoLensReport
import GeoLensTestSupport
import Testing

/// The PNG figures the commands write read on their own: explain's heatmaps and band-group charts,
/// predict's quicklook. Each is decoded back and checked against the layout it was drawn with.
@Suite struct FigureCommandTests {
    static let model = Fixtures.url("fixtures/models/cloud_unet_a.safetensors").path
    static let tile = Fixtures.url("fixtures/tiles/images/tile_r0_c0.tif").path

    func records(_ out: URL) throws -> [[String: Any]] {
        let data = try Data(contentsOf: out.appendingPathComponent("attributions.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(document["records"] as? [[String: Any]])
    }

    @Test func gradCAMHeatmapsCarryTitleColourBarAndScaleBar() throws {
        let out = try GeoLensCLI.temporaryDirectory("figures-cam")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tile, "--out", out.path,
                                         "--method", "gradcam++", "--class", "cloud"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let png = try PNGReader.read(out.appendingPathComponent("tile_r0_c0_gradcam++_cloud.png"))
        // 64-pixel UTM tile: the map drawn 4x, the colour bar and a scale bar under it.
        let layout = AttributionFigure.Layout(mapWidth: 64, mapHeight: 64, hasNote: false, hasScaleBar: true)
        #expect(png.width == layout.width && png.height == layout.height, "figure is \(png.width) x \(png.height)")
        #expect(png.cropped(to: layout.colorBar) == ColorBar.image(.viridis, width: layout.colorBar.width,
                                                                   height: layout.colorBar.height))
        #expect(inkCount(png, in: layout.title) > 150, "no title")
        let row = try #require(layout.scaleBar)
        #expect(inkCount(png, in: FigureRect(x: row.x, y: row.y + 4, width: 20, height: 3)) == 60, "no scale bar")
        // No word over the map: its frame is intact and the inside is the heatmap (never white).
        let inside = png.cropped(to: layout.map)
        #expect(!inside.pixels.indices.filter { $0 % 3 == 0 }.contains { inside.pixels[$0] == 255 && inside.pixels[$0 + 1] == 255
                                                                         && inside.pixels[$0 + 2] == 255 })
    }

    @Test func bandGroupChartsNameTheGroupsAndGiveBaseValueAndFx() throws {
        let out = try GeoLensCLI.temporaryDirectory("figures-shap")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["explain", "--model", Self.model, "--input", Self.tile, "--out", out.path,
                                         "--method", "shap-exact", "--groups", "vis=1,2,3;nir=4;swir=5,6", "--class", "cloud"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let record = try #require(try records(out).first)
        let values = try #require(record["values"] as? [Double])
        let base = try #require(record["base_value"] as? Double), fx = try #require(record["f_x"] as? Double)
        let chart = GroupBarChart(names: ["vis", "nir", "swir"], values: values, baseValue: base, fullValue: fx,
                                  title: "tile_r0_c0 · class cloud · SHAP (exact)", quantity: "SHAP value (logit units)")
        let png = try PNGReader.read(out.appendingPathComponent("tile_r0_c0_shap-exact_cloud_groups.png"))
        #expect(png.width == chart.layout.width && png.height == chart.layout.height)
        #expect(png == (try chart.render()), "the written chart is the chart of the record's numbers")
        for row in chart.layout.rows {
            #expect(inkCount(png, in: FigureRect(x: row.x, y: row.y, width: 140, height: row.height)) > 20, "group name in \(row)")
        }
        let svg = try String(contentsOf: out.appendingPathComponent("tile_r0_c0_shap-exact_cloud_groups.svg"), encoding: .utf8)
        #expect(svg.components(separatedBy: "class=\"bar\"").count - 1 == 3)
        #expect(svg.contains("base value \(FigureNumber.short(base, digits: 4))") && svg.contains("f(x) \(FigureNumber.short(fx, digits: 4))"))
        #expect(["vis", "nir", "swir"].allSatisfy { svg.contains(">\($0)</text>") })
    }

    @Test func predictWritesAQuicklookWithAClassLegend() throws {
        let out = try GeoLensCLI.temporaryDirectory("figures-predict")
        defer { try? FileManager.default.removeItem(at: out) }
        let result = try GeoLensCLI.run(["predict", "--model", Self.model, "--input", Self.tile, "--out", out.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("tile_r0_c0_pred.png"))
        let raster = try Raster(path: out.appendingPathComponent("tile_r0_c0_pred.tif").path)
        let ids = try raster.read().values.scalars.map { Int($0) }
        let quicklook = PredictionQuicklook(classIDs: ids, width: 64, height: 64, classNames: ["clear", "cloud", "shadow"],
                                            palette: ClassPalette(classCount: 3), title: "", subtitle: "", metresPerPixel: 10)
        let layout = quicklook.layout
        let png = try PNGReader.read(out.appendingPathComponent("tile_r0_c0_pred.png"))
        #expect(png.width == layout.width && png.height == layout.height)
        let palette = ClassPalette(classCount: 3)
        #expect(png.cropped(to: layout.map).rgba == palette.render(classIDs: ids, width: 64, height: 64).rgba.enlarged(layout.zoom))
        for (k, swatch) in layout.swatches.prefix(3).enumerated() {
            #expect(png.color(x: swatch.x + 6, y: swatch.y + 6) == palette.colors[k], "legend swatch of class \(k)")
            #expect(inkCount(png, in: FigureRect(x: swatch.right + 4, y: swatch.y - 2, width: 40, height: 16)) > 15)
        }
        #expect(inkCount(png, in: layout.title) > 150)
    }

    /// Dark pixels (text, ticks, bars of the scale) in `rect`.
    func inkCount(_ image: PNGImage, in rect: FigureRect) -> Int {
        var count = 0
        for y in rect.y..<rect.bottom {
            for x in rect.x..<rect.right {
                let c = image.color(x: x, y: y)
                if c.red <= 110 && c.green <= 110 && c.blue <= 110 { count += 1 }
            }
        }
        return count
    }
}

private extension PNGImage {
    /// Each pixel repeated `zoom` x `zoom` times.
    func enlarged(_ zoom: Int) -> PNGImage {
        let n = bytesPerPixel
        var bytes: [UInt8] = []
        for y in 0..<(height * zoom) {
            for x in 0..<(width * zoom) {
                let o = ((y / zoom) * width + x / zoom) * n
                bytes += pixels[o..<(o + n)]
            }
        }
        return PNGImage(width: width * zoom, height: height * zoom, layout: layout, pixels: bytes)
    }
}
