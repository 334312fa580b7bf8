public import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A QGIS `.qml` style parsed back with Foundation's XML parser: a document that does not parse
/// (not well-formed XML) throws; otherwise the renderer and its entries are returned.
public struct QGISStyleDocument: Sendable {
    /// One `paletteEntry` (paletted renderer) or ramp `item` (pseudocolor renderer).
    public struct Entry: Sendable, Equatable {
        public let value: Double
        public let color: String
        public let label: String
    }

    /// The root element's name (`qgis`).
    public let root: String
    /// The `rasterrenderer`'s `type` (`paletted`, `singlebandpseudocolor`).
    public let rendererType: String
    /// Palette entries or ramp items, in document order.
    public let entries: [Entry]
    /// `classificationMin`/`classificationMax` of a pseudocolor renderer.
    public let classificationRange: ClosedRange<Double>?

    /// Parses the file at `url`; throws when it is not well-formed XML.
    public init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        let parser = XMLParser(data: data)
        let collector = Collector()
        parser.delegate = collector
        guard parser.parse() else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path,
                                                              NSLocalizedDescriptionKey: "\(url.path) is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "")"])
        }
        root = collector.root ?? ""
        rendererType = collector.rendererType ?? ""
        entries = collector.entries
        classificationRange = collector.range
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var root: String?
        var rendererType: String?
        var entries: [Entry] = []
        var range: ClosedRange<Double>?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if root == nil { root = name }
            switch name {
            case "rasterrenderer":
                rendererType = attributes["type"]
                if let low = attributes["classificationMin"].flatMap(Double.init),
                   let high = attributes["classificationMax"].flatMap(Double.init), low <= high {
                    range = low...high
                }
            case "paletteEntry", "item":
                entries.append(Entry(value: Double(attributes["value"] ?? "") ?? .nan, color: attributes["color"] ?? "",
                                     label: attributes["label"] ?? ""))
            default: break
            }
        }
    }
}
