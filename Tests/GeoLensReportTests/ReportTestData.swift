import Foundation
import Testing
import GeoLensEval
import GeoLensReport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Small evaluation states and helpers for the report tests (no files, no Python).
enum ReportTestData {
    /// A state with `tileCount` tiles of 100 pixels; `skill` in 0...1 sets the share of pixels
    /// predicted correctly (varied per tile so the bootstrap has spread).
    static func state(classes: [String], tileCount: Int = 8, skill: Double, prefix: String = "tile") -> EvaluationState {
        var state = EvaluationState(configuration: EvaluationConfiguration(classes: classes, ignoreIndex: 255))
        let c = classes.count
        for t in 0..<tileCount {
            var tally = TileTally(classCount: c, calibrationBins: 15)
            let correct = Int((skill * 100 + Double(t % 3) * 5 - 5).rounded())
            for p in 0..<100 {
                let reference = (p + t) % c
                let right = p < correct
                tally.confusion.add(reference: reference, predicted: right ? reference : (reference + 1) % c)
                tally.calibration.add(confidence: 0.5 + 0.45 * Double(p % 10) / 10, correct: right)
                tally.entropySum += 0.1 + Double(p % 7) / 10
            }
            state.record(tally, tile: String(format: "\(prefix)_%02d", t))
        }
        return state
    }

    /// A solid-colour PNG of `size x size`, encoded.
    static func thumbnail(_ color: RGBA, size: Int = 8) throws -> [UInt8] {
        [UInt8](try PNGWriter.encode(PNGImage(width: size, height: size, filledWith: color)))
    }

    /// Parses `html` as XML; returns the `src`/`href` attribute values and whether it was well-formed.
    static func parse(_ html: String) -> (wellFormed: Bool, sources: [String], links: [String], error: String) {
        let delegate = LinkCollector()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = delegate
        let ok = parser.parse()
        return (ok, delegate.sources, delegate.links, parser.parserError.map { "\($0)" } ?? "")
    }

    /// Every `data:` image decoded (or files under `directory` for relative sources).
    static func decodeImages(_ sources: [String], relativeTo directory: URL? = nil) throws -> [PNGImage] {
        try sources.map { src in
            if src.hasPrefix("data:image/png;base64,") {
                let data = try #require(Data(base64Encoded: String(src.dropFirst("data:image/png;base64,".count))))
                return try PNGReader.decode(data)
            }
            let base = try #require(directory)
            return try PNGReader.read(base.appendingPathComponent(src))
        }
    }
}

/// Collects image sources and links while parsing.
final class LinkCollector: NSObject, XMLParserDelegate {
    var sources: [String] = []
    var links: [String] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if let src = attributeDict["src"] { sources.append(src) }
        if let href = attributeDict["href"] { links.append(href) }
    }
}
