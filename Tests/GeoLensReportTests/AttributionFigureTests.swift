import Foundation
import GeoLensReport
import Testing

/// The labelled heatmap figures of `geolens explain` and the training snapshots, decoded back
/// from their PNG bytes.
@Suite("Attribution figures: title, map, colour bar and scale bar")
struct AttributionFigureTests {
    static let caption = AttributionFigure.Caption(title: "tile_r0_c0 · class cloud", subtitle: "GradCAM++ · layer up4.conv",
                                                   quantity: "GradCAM++ (normalized)")

    static func decoded(_ figure: AttributionFigure) throws -> PNGImage {
        try PNGReader.decode(PNGWriter.encode(figure.render()))
    }

    @Test("A 64-pixel tile is drawn 4x, pixel for pixel, with the words outside the map")
    func smallTileLayout() throws {
        let (map, composite) = FigurePixels.tile(size: 64)
        let figure = AttributionFigure(map: map, height: 64, width: 64, composite: composite, signed: false,
                                       caption: Self.caption, metresPerPixel: 10)
        let image = try Self.decoded(figure)
        let layout = figure.layout
        #expect(layout.zoom == 4)
        #expect(image.width == layout.width && image.height == layout.height)
        #expect(layout.map == FigureRect(x: 8, y: 42, width: 256, height: 256))
        #expect(image.width == 256 + 2 * AttributionFigure.Layout.margin)
        // The caption area: title above the map, colour bar and scale bar below it.
        #expect(image.height - layout.map.height > 100, "figure \(image.width) x \(image.height)")
        #expect(layout.title.bottom <= layout.map.y && layout.colorBar.y >= layout.map.bottom)

        // The map holds exactly the heatmap, enlarged without smoothing: no word is drawn over it.
        let expected = FigurePixels.enlarged(figure.mapImage(), zoom: 4)
        #expect(image.cropped(to: layout.map) == expected)

        // Title and subtitle: text pixels in the title area.
        #expect(FigurePixels.inkCount(image, in: layout.title) > 150)
        // The colour strip is the colormap from its first to its last colour.
        let strip = image.cropped(to: layout.colorBar)
        #expect(strip == ColorBar.image(.viridis, width: layout.colorBar.width, height: layout.colorBar.height))
        // Tick values and the quantity under the strip.
        let words = FigureRect(x: layout.colorBar.x, y: layout.colorBar.bottom, width: layout.colorBar.width, height: 32)
        #expect(FigurePixels.inkCount(image, in: words) > 100)
        // The scale bar: 10 m pixels shown 4x wide make 2.5 m per figure pixel; 200 m is 80 pixels.
        #expect(figure.scaleBar == ScaleBar(metres: 200, pixels: 80))
        let row = try #require(layout.scaleBar)
        let bar = FigureRect(x: row.x, y: row.y + 4, width: 80, height: 3)
        #expect(FigurePixels.inkCount(image, in: bar) == 80 * 3)
        #expect(FigurePixels.inkCount(image, in: FigureRect(x: row.x + 86, y: row.y, width: 60, height: row.height)) > 20)
    }

    @Test("Without a pixel size there is no scale bar; the rest of the layout stays")
    func noScaleBar() throws {
        let (map, composite) = FigurePixels.tile(size: 64)
        let plain = AttributionFigure(map: map, height: 64, width: 64, composite: composite, signed: false, caption: Self.caption)
        let scaled = AttributionFigure(map: map, height: 64, width: 64, composite: composite, signed: false, caption: Self.caption,
                                       metresPerPixel: 10)
        #expect(plain.layout.scaleBar == nil && plain.scaleBar == nil)
        #expect(plain.layout.map == scaled.layout.map && plain.layout.colorBar == scaled.layout.colorBar)
        #expect(plain.layout.height < scaled.layout.height)
        let image = try Self.decoded(plain)
        #expect(image.height == plain.layout.height)
    }

    @Test("Signed maps: diverging strip, zero in the middle, and a note line under the quantity")
    func signedMap() throws {
        let (map, composite) = FigurePixels.tile(size: 32, signed: true)
        let caption = AttributionFigure.Caption(title: "t · class cloud", subtitle: "SHAP (exact) · 3 band groups × 4 grid cells",
                                                quantity: "SHAP value (logit units)",
                                                note: "red raises the cloud score, blue lowers it")
        var boundaries = [Bool](repeating: false, count: 32 * 32)
        for y in 0..<32 { boundaries[y * 32 + 15] = true }
        let figure = AttributionFigure(map: map, height: 32, width: 32, composite: composite, signed: true,
                                       boundaries: boundaries, caption: caption)
        let image = try Self.decoded(figure)
        let layout = figure.layout
        #expect(layout.zoom == 8)
        let range = figure.range
        #expect(range.low == -range.high && range.high == 1)
        #expect(image.cropped(to: layout.colorBar) == ColorBar.image(.diverging, width: layout.colorBar.width,
                                                                     height: layout.colorBar.height))
        // The outline column is black at every zoomed pixel.
        for y in stride(from: layout.map.y, to: layout.map.bottom, by: 5) {
            #expect(image.color(x: layout.map.x + 15 * 8 + 3, y: y) == RGBA(0, 0, 0))
        }
        // The note adds a line: the signed figure is one line taller than one without a note.
        var plain = figure
        plain.caption.note = nil
        #expect(layout.height == plain.layout.height + 14)
        let noteRow = FigureRect(x: layout.colorBar.x, y: layout.colorBar.bottom + 31, width: layout.colorBar.width, height: 16)
        #expect(FigurePixels.inkCount(image, in: noteRow) > 20)
    }

    @Test("Large maps are not enlarged; the column follows the map width")
    func largeMap() throws {
        let (map, composite) = FigurePixels.tile(size: 300)
        let figure = AttributionFigure(map: map, height: 300, width: 300, composite: composite, signed: false, caption: Self.caption)
        let layout = figure.layout
        #expect(layout.zoom == 1 && layout.map.width == 300 && layout.width == 316 && layout.colorBar.width == 300)
        let image = try Self.decoded(figure)
        #expect(image.cropped(to: layout.map) == figure.mapImage())
    }

    @Test("Long titles are cut with an ellipsis inside the column, never over the margin")
    func longTitle() throws {
        let (map, composite) = FigurePixels.tile(size: 64)
        let caption = AttributionFigure.Caption(title: String(repeating: "very_long_tile_name_", count: 10) + " · class cloud",
                                                subtitle: "GradCAM++ · layer " + String(repeating: "decoder.block.", count: 8),
                                                quantity: "GradCAM++ (normalized)")
        let figure = AttributionFigure(map: map, height: 64, width: 64, composite: composite, signed: false, caption: caption)
        let image = try Self.decoded(figure)
        let right = FigureRect(x: figure.layout.title.right, y: 0, width: AttributionFigure.Layout.margin,
                               height: figure.layout.title.bottom)
        #expect(FigurePixels.isBlank(image, right))
        #expect(FigurePixels.inkCount(image, in: figure.layout.title) > 300)
    }

    @Test("A constant map says so under the colour bar instead of three equal ticks")
    func constantMap() throws {
        let (_, composite) = FigurePixels.tile(size: 16)
        let figure = AttributionFigure(map: [Float](repeating: 0, count: 256), height: 16, width: 16, composite: composite,
                                       signed: true, caption: Self.caption)
        #expect(figure.range == Heatmap.Range(low: 0, high: 0))
        let image = try Self.decoded(figure)
        #expect(image.width == figure.layout.width)
    }

    @Test("Scale bars take the longest 1-2-5 length that fits",
          arguments: [(10.0, 100, 1000.0, "1 km"), (2.5, 102, 200.0, "200 m"), (0.3, 100, 20.0, "20 m"),
                      (30.0, 96, 2000.0, "2 km"), (0.05, 100, 5.0, "5 m")])
    func scaleBarLengths(_ metresPerPixel: Double, _ room: Int, _ metres: Double, _ label: String) throws {
        let bar = try #require(ScaleBar.fitting(metresPerPixel: metresPerPixel, maximumPixels: room))
        #expect(bar.metres == metres && bar.label == label)
        #expect(bar.pixels <= room && bar.pixels == Int((metres / metresPerPixel).rounded()))
    }

    @Test("No scale bar for pixel sizes that are not positive and finite")
    func noScaleBarForBadSizes() {
        #expect(ScaleBar.fitting(metresPerPixel: 0, maximumPixels: 100) == nil)
        #expect(ScaleBar.fitting(metresPerPixel: -1, maximumPixels: 100) == nil)
        #expect(ScaleBar.fitting(metresPerPixel: .nan, maximumPixels: 100) == nil)
    }

    @Test("Numbers on figures are short and signed with a real minus")
    func numbers() {
        #expect(FigureNumber.short(0.5) == "0.5" && FigureNumber.short(1) == "1" && FigureNumber.short(0) == "0")
        #expect(FigureNumber.short(0.123456) == "0.123" && FigureNumber.short(-0.25) == "\u{2212}0.25")
        #expect(FigureNumber.short(3617.6) == "3618" && FigureNumber.short(-58.257) == "\u{2212}58.3")
        #expect(FigureNumber.short(123456) == "1.23e+05" && FigureNumber.short(0.0001234) == "0.000123")
        #expect(FigureNumber.short(.nan) == "n/a" && FigureNumber.short(-0.0001) == "\u{2212}0.0001")
        #expect(FigureNumber.signed(0.1234, digits: 4) == "+0.1234" && FigureNumber.signed(-2) == "\u{2212}2")
        #expect(FigureNumber.signed(0) == "0")
    }
}
