import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GeoLensReport
import Testing

/// The band-group SHAP chart: the PNG decoded back and the SVG parsed as XML show the same bars,
/// labels and numbers.
@Suite("Band-group bar charts: PNG and SVG agree")
struct GroupBarChartTests {
    static let chart = GroupBarChart(names: ["vis", "nir", "swir", "red-edge"], values: [0.5, -0.25, 0.125, -0.0625],
                                     baseValue: -1.5, fullValue: -1.1875, title: "tile_r0_c0 · class cloud · SHAP (exact)",
                                     quantity: "SHAP value (logit units)")

    /// Elements of an SVG by their `class` attribute: attributes and text.
    final class ClassedElements: NSObject, XMLParserDelegate {
        var found: [(kind: String, attributes: [String: String], text: String)] = []
        private var open: Int?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            guard let kind = attributeDict["class"] else { return }
            found.append((kind, attributeDict, ""))
            open = found.count - 1
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let open { found[open].text += string }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            open = nil
        }

        static func parse(_ svg: String) -> ClassedElements? {
            let collector = ClassedElements()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = collector
            return parser.parse() ? collector : nil
        }

        func of(_ kind: String) -> [(kind: String, attributes: [String: String], text: String)] {
            found.filter { $0.kind == kind }
        }
    }

    @Test("One bar, label and value per group in both; PNG bars sit where the SVG puts them")
    func pngAndSVGAgree() throws {
        let chart = Self.chart
        let layout = chart.layout
        let image = try PNGReader.decode(PNGWriter.encode(chart.render()))
        #expect(image.width == layout.width && image.height == layout.height)
        let svg = try #require(ClassedElements.parse(chart.svg()), "the SVG is not well-formed XML")

        let bars = svg.of("bar"), labels = svg.of("label"), values = svg.of("value")
        #expect(bars.count == 4 && labels.count == 4 && values.count == 4)
        #expect(labels.map(\.text) == chart.names)
        #expect(values.map(\.text) == ["+0.5", "\u{2212}0.25", "+0.125", "\u{2212}0.0625"])
        #expect(bars.map { $0.attributes["fill"] } == ["#b2182b", "#2166ac", "#b2182b", "#2166ac"])

        // The PNG: as many red runs right of the zero line and blue runs left of it as positive and negative values.
        #expect(FigurePixels.runs(of: GroupBarChart.positive, in: image, column: layout.zeroX + 2) == 2)
        #expect(FigurePixels.runs(of: GroupBarChart.negative, in: image, column: layout.zeroX - 3) == 2)
        for (k, bar) in layout.bars.enumerated() {
            let svgBar = bars[k].attributes
            #expect(svgBar["x"] == "\(bar.x)" && svgBar["width"] == "\(bar.width)" && svgBar["y"] == "\(bar.y)")
            let color = chart.values[k] < 0 ? GroupBarChart.negative : GroupBarChart.positive
            #expect(image.color(x: bar.x + bar.width / 2, y: bar.y + bar.height / 2) == color, "bar \(k)")
            #expect(image.color(x: bar.x + bar.width / 2, y: bar.y - 2) == RGBA(255, 255, 255), "bar \(k) is \(bar.height) high")
        }
        // The longest bar spans half the plot; the others in proportion.
        #expect(layout.bars.map(\.width) == [120, 60, 30, 15])

        // Text in the PNG where the SVG has it: a label left of every row, a value beside every bar.
        for (k, row) in layout.rows.enumerated() {
            let label = FigureRect(x: row.x, y: row.y, width: 140, height: row.height)
            #expect(FigurePixels.inkCount(image, in: label) > 20, "label of row \(k)")
            let x = Int(try #require(values[k].attributes["x"]).split(separator: ".")[0])!
            #expect(FigurePixels.inkCount(image, in: FigureRect(x: x, y: row.y, width: 40, height: row.height)) > 20, "value of row \(k)")
        }
        #expect(FigurePixels.inkCount(image, in: layout.title) > 200)
        #expect(FigurePixels.inkCount(image, in: layout.axis) > 100)
        #expect(FigurePixels.inkCount(image, in: layout.caption) > 50)
    }

    @Test("The caption gives base value, f(x) and the values' sum; without them it is left out")
    func caption() throws {
        let svg = try #require(ClassedElements.parse(Self.chart.svg()))
        #expect(svg.of("caption").map(\.text) == ["base value \u{2212}1.5 · f(x) \u{2212}1.188 · sum of values +0.3125"])
        var bare = Self.chart
        bare.baseValue = nil
        bare.fullValue = nil
        #expect(bare.layout.caption.height == 0 && bare.layout.height < Self.chart.layout.height)
        #expect(try #require(ClassedElements.parse(bare.svg())).of("caption").isEmpty)
        let image = try PNGReader.decode(PNGWriter.encode(bare.render()))
        #expect(image.height == bare.layout.height)
    }

    @Test("Standard errors are printed with the values")
    func standardErrors() throws {
        let chart = GroupBarChart(names: ["a", "b"], values: [1, -1], standardErrors: [0.05, 0.126], title: "t",
                                  quantity: "SHAP value (logit units)")
        let svg = try #require(ClassedElements.parse(chart.svg()))
        #expect(svg.of("value").map(\.text) == ["+1 ± 0.05", "\u{2212}1 ± 0.13"])
    }

    @Test("Names that need escaping stay intact in the SVG")
    func escaping() throws {
        let chart = GroupBarChart(names: ["<b>&\"x\"</b>"], values: [0.1], title: "t", quantity: "q")
        let svg = try #require(ClassedElements.parse(chart.svg()))
        #expect(svg.of("label").map(\.text) == ["<b>&\"x\"</b>"])
    }
}
