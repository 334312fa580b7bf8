import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The `src` attributes of a parsed HTML page, in document order, or nil when the page is not
/// well-formed XML (the reports are written as XHTML-compatible markup).
public func htmlImageSources(_ html: String) -> [String]? {
    final class Collector: NSObject, XMLParserDelegate {
        var sources: [String] = []
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            if let src = attributeDict["src"] { sources.append(src) }
        }
    }
    let collector = Collector()
    let parser = XMLParser(data: Data(html.utf8))
    parser.delegate = collector
    return parser.parse() ? collector.sources : nil
}
