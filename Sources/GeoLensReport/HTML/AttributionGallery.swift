public import Foundation

/// `gallery.html` of an explain run: every heatmap with its tile, method and class, and a table
/// of the records' numbers (target pixels, f(x), base value, completeness residual).
public struct AttributionGallery: Sendable {
    /// One figure of the gallery.
    public struct Entry: Sendable {
        public var attribution: RunReport.Attribution
        /// Extra facts shown under the figure (e.g. "f(x) 12.3", "layer encoder.layer4").
        public var facts: [String]

        public init(attribution: RunReport.Attribution, facts: [String] = []) {
            self.attribution = attribution
            self.facts = facts
        }
    }

    public var title: String
    public var subtitle: String
    public var manifest: [(key: String, value: String)]
    public var entries: [Entry]

    public init(title: String, subtitle: String, manifest: [(key: String, value: String)], entries: [Entry]) {
        self.title = title
        self.subtitle = subtitle
        self.manifest = manifest
        self.entries = entries
    }

    public func render(images: ReportImages = .embedded) -> (html: String, files: [String: [UInt8]]) {
        var sink = ImageSink(mode: images)
        var page = HTMLPage(title: title, subtitle: subtitle)
        page.section("Run", id: "run", "<dl class=\"manifest\">"
                     + manifest.map { "<dt>\(HTML.escape($0.key))</dt><dd>\(HTML.escape($0.value))</dd>" }.joined() + "</dl>")
        var body = RunReport.attributionFigures(entries.map { ($0.attribution, $0.facts) }, sink: &sink)
        if entries.isEmpty { body = "<p class=\"note\">This run wrote no per-pixel maps (band-group values only; see attributions.json).</p>" }
        page.section("Attribution maps", id: "maps", body)
        return (page.render(), sink.files)
    }

    /// Writes `gallery.html` (and with `.beside`, its image folder) into `directory`.
    @discardableResult
    public func write(to directory: URL, images: ReportImages = .embedded, fileName: String = "gallery.html") throws -> URL {
        let (html, files) = render(images: images)
        try ReportFiles.write(html: html, images: files, mode: images, to: directory, fileName: fileName)
        return directory.appendingPathComponent(fileName)
    }
}
