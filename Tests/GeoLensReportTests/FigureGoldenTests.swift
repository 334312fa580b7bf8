import Foundation
import GeoLensReport
import GeoLensTestSupport
import Testing

/// Figures compared with committed golden PNGs (`fixtures/reference/figures/`). Map and colour
/// strip must match exactly; text may differ a little between FreeType and font versions, so the
/// rest is compared with a tolerance: few differing pixels overall and about as much ink in each
/// text area. `GEOLENS_UPDATE_GOLDEN=1 swift test --filter FigureGoldenTests` rewrites the files
/// (look at them before committing).
@Suite("Figures match their golden images")
struct FigureGoldenTests {
    /// At most this fraction of pixels may differ by more than `channelTolerance` in some channel.
    static let differingFraction = 0.03, channelTolerance = 48
    /// Ink in each text area may differ by this fraction.
    static let inkTolerance = 0.25

    static var updating: Bool { ProcessInfo.processInfo.environment["GEOLENS_UPDATE_GOLDEN"] == "1" }

    /// The golden PNG at `name`, or nil after writing `image` there when updating.
    static func golden(_ name: String, for image: PNGImage) throws -> PNGImage? {
        let url = Fixtures.url("fixtures/reference/figures/\(name)")
        if updating {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try PNGWriter.write(image, to: url)
            return nil
        }
        return try PNGReader.read(url)
    }

    /// The share of pixels whose colours differ by more than the tolerance.
    static func differing(_ a: PNGImage, _ b: PNGImage) -> Double {
        var count = 0
        for y in 0..<a.height {
            for x in 0..<a.width {
                let p = a.color(x: x, y: y), q = b.color(x: x, y: y)
                let d = [(p.red, q.red), (p.green, q.green), (p.blue, q.blue)].map { abs(Int($0) - Int($1)) }.max()!
                if d > channelTolerance { count += 1 }
            }
        }
        return Double(count) / Double(a.width * a.height)
    }

    /// Whether the ink of `rect` agrees within `inkTolerance`.
    static func inkAgrees(_ a: PNGImage, _ b: PNGImage, in rect: FigureRect) -> Bool {
        let x = Double(FigurePixels.inkCount(a, in: rect)), y = Double(FigurePixels.inkCount(b, in: rect))
        return abs(x - y) <= inkTolerance * max(x, y, 1)
    }

    @Test("A GradCAM++ figure of a 16-pixel tile with a scale bar")
    func heatmapFigure() throws {
        let (map, composite) = FigurePixels.tile(size: 16)
        let figure = AttributionFigure(map: map, height: 16, width: 16, composite: composite, signed: false,
                                       caption: AttributionFigure.Caption(title: "tile_r0_c0 · class cloud",
                                                                          subtitle: "GradCAM++ · layer down3",
                                                                          quantity: "GradCAM++ (normalized)"),
                                       metresPerPixel: 10)
        let image = try PNGReader.decode(PNGWriter.encode(figure.render()))
        guard let golden = try Self.golden("attribution_figure.png", for: image) else { return }
        #expect(golden.width == image.width && golden.height == image.height, "golden \(golden.width) x \(golden.height)")
        guard golden.width == image.width && golden.height == image.height else { return }
        let layout = figure.layout
        #expect(image.cropped(to: layout.map) == golden.cropped(to: layout.map))
        #expect(image.cropped(to: layout.colorBar) == golden.cropped(to: layout.colorBar))
        #expect(Self.differing(image, golden) <= Self.differingFraction)
        let below = FigureRect(x: 0, y: layout.colorBar.bottom, width: image.width, height: image.height - layout.colorBar.bottom)
        for rect in [layout.title, below] { #expect(Self.inkAgrees(image, golden, in: rect), "text in \(rect)") }
    }

    @Test("A band-group bar chart")
    func barChart() throws {
        let image = try PNGReader.decode(PNGWriter.encode(GroupBarChartTests.chart.render()))
        guard let golden = try Self.golden("group_bar_chart.png", for: image) else { return }
        #expect(golden.width == image.width && golden.height == image.height, "golden \(golden.width) x \(golden.height)")
        guard golden.width == image.width && golden.height == image.height else { return }
        let layout = GroupBarChartTests.chart.layout
        for bar in layout.bars { #expect(image.cropped(to: bar) == golden.cropped(to: bar)) }
        #expect(Self.differing(image, golden) <= Self.differingFraction)
        for rect in [layout.title, layout.axis, layout.caption] + layout.rows {
            #expect(Self.inkAgrees(image, golden, in: rect), "text in \(rect)")
        }
    }
}
