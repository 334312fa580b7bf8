import GeoLensReport
import Testing

/// `geolens predict`'s quicklook: the class map in palette colours with a legend naming each colour.
@Suite("Prediction quicklooks: class map, legend and scale bar")
struct PredictionQuicklookTests {
    static func quicklook(ids: [Int], size: Int, metres: Double? = nil) -> PredictionQuicklook {
        PredictionQuicklook(classIDs: ids, width: size, height: size, classNames: ["clear", "cloud", "shadow"],
                            palette: ClassPalette(classCount: 3), title: "scene · predicted classes",
                            subtitle: "cloud_unet_a.safetensors · \(size) x \(size) pixels", metresPerPixel: metres)
    }

    @Test("The map holds the palette colours; each legend swatch has its class colour and a name beside it")
    func legend() throws {
        let size = 32
        let ids = (0..<(size * size)).map { $0 % size < 8 ? 255 : ($0 / size) % 3 }
        let quicklook = Self.quicklook(ids: ids, size: size, metres: 20)
        let image = try PNGReader.decode(PNGWriter.encode(quicklook.render()))
        let layout = quicklook.layout
        #expect(image.width == layout.width && image.height == layout.height && layout.zoom == 8)
        let palette = ClassPalette(classCount: 3)
        let expected = FigurePixels.enlarged(palette.render(classIDs: ids, width: size, height: size).rgba, zoom: 8)
        #expect(image.cropped(to: layout.map).rgba == expected)
        // clear, cloud, shadow and "no data" (the map has id 255).
        #expect(layout.swatches.count == 4)
        let colors = palette.colors + [palette.nodata]
        for (k, swatch) in layout.swatches.enumerated() {
            #expect(swatch.y >= layout.map.bottom)
            #expect(image.color(x: swatch.x + swatch.width / 2, y: swatch.y + swatch.height / 2) == colors[k], "swatch \(k)")
            let name = FigureRect(x: swatch.right + 4, y: swatch.y - 2, width: 50, height: swatch.height + 4)
            #expect(FigurePixels.inkCount(image, in: name) > 15, "name of swatch \(k)")
        }
        #expect(FigurePixels.inkCount(image, in: layout.title) > 150)
        // 20 m pixels shown 8x: 2.5 m per figure pixel, 200 m in 80 pixels.
        #expect(quicklook.scaleBar == ScaleBar(metres: 200, pixels: 80) && layout.scaleBar != nil)
    }

    @Test("Without no-data pixels or a pixel size: three swatches and no scale bar")
    func plain() throws {
        let quicklook = Self.quicklook(ids: (0..<(360 * 360)).map { $0 % 3 }, size: 360)
        let layout = quicklook.layout
        #expect(layout.swatches.count == 3 && layout.scaleBar == nil && layout.zoom == 1)
        // Three 120-pixel columns fit in 360 pixels: one legend row.
        #expect(Set(layout.swatches.map(\.y)).count == 1)
        let image = try PNGReader.decode(PNGWriter.encode(quicklook.render()))
        #expect(image.height == layout.height)
    }
}
