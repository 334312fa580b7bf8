public import Foundation
public import GeoLensEval

/// The report of one evaluation run (`report.html`): manifest, headline metrics with 95%
/// intervals, per-class table and IoU bars, confusion matrix, calibration, uncertainty,
/// per-tile distribution, a sortable worst-tiles table with thumbnails, training curves and an
/// attribution gallery when present. All inputs are plain values; the caller reads files.
public struct RunReport: Sendable {
    /// One small picture: a label (e.g. "prediction") and encoded PNG bytes.
    public struct Thumbnail: Sendable {
        public var label: String
        public var png: [UInt8]

        public init(label: String, png: [UInt8]) {
            self.label = label
            self.png = png
        }
    }

    /// A tile to look at, with its pictures (composite, reference, prediction, error, entropy).
    public struct TileGallery: Sendable {
        public var tile: String
        public var thumbnails: [Thumbnail]

        public init(tile: String, thumbnails: [Thumbnail]) {
            self.tile = tile
            self.thumbnails = thumbnails
        }
    }

    /// One attribution map of the `explain` command.
    public struct Attribution: Sendable {
        public var tile: String
        public var method: String
        public var className: String
        public var png: [UInt8]

        public init(tile: String, method: String, className: String, png: [UInt8]) {
            self.tile = tile
            self.method = method
            self.className = className
            self.png = png
        }
    }

    public var title: String
    public var metrics: MetricsReport
    public var tiles: [TileResult]
    /// Manifest rows in display order (version, checkpoint, sha256, bands, config...).
    public var manifest: [(key: String, value: String)]
    /// Thumbnails by tile id for the worst-tiles table (tiles without entry show no pictures).
    public var galleries: [TileGallery]
    /// Rows shown in the worst-tiles table (lowest tile mIoU first).
    public var worstTileCount: Int
    /// Per-pixel entropy values (or per-tile mean entropies) for the entropy histogram.
    public var entropyValues: [Double]
    /// Named training curves (loss, val_miou...) when a training history is present.
    public var trainingHistory: [(name: String, values: [Double])]
    public var attributions: [Attribution]

    public init(title: String = "GeoLens evaluation report", metrics: MetricsReport, tiles: [TileResult],
                manifest: [(key: String, value: String)] = [], galleries: [TileGallery] = [],
                worstTileCount: Int = 12, entropyValues: [Double] = [],
                trainingHistory: [(name: String, values: [Double])] = [], attributions: [Attribution] = []) {
        self.title = title
        self.metrics = metrics
        self.tiles = tiles
        self.manifest = manifest
        self.galleries = galleries
        self.worstTileCount = worstTileCount
        self.entropyValues = entropyValues
        self.trainingHistory = trainingHistory
        self.attributions = attributions
    }

    /// The page and, with `.beside`, the image files to write next to it (name -> PNG bytes).
    public func render(images: ReportImages = .embedded) -> (html: String, files: [String: [UInt8]]) {
        var sink = ImageSink(mode: images)
        let m = metrics.metrics
        let classes = metrics.classes
        var page = HTMLPage(title: title, subtitle: "\(metrics.tiles) tiles · \(metrics.pixels) scored pixels · "
                            + "\(metrics.ignoredPixels) excluded · classes: \(classes.joined(separator: ", "))")
        page.section("Run manifest", id: "manifest", manifestList(manifest))
        page.section("Headline metrics", id: "headline", ReportTables.headlineCards(metrics))
        page.section("Per-class metrics", id: "classes",
                     ReportTables.perClass(metrics) + "<div class=\"charts\"><figure>"
                     + SVG.barChart(labels: classes, values: m.perClass.map(\.iou), title: "IoU per class")
                     + "<figcaption>IoU per class on all scored pixels. n/a: the class is absent from reference and prediction.</figcaption></figure></div>")
        page.section("Confusion matrix", id: "confusion",
                     "<figure>" + SVG.confusionMatrix(metrics.confusion.rows, classes: classes, title: "Confusion matrix")
                     + "<figcaption>Rows: reference class; columns: predicted class. Colour and large number: fraction of the reference row; small number: pixel count.</figcaption></figure>")
        var uncertainty = "<div class=\"charts\"><figure>"
            + SVG.reliabilityDiagram(metrics.uncertainty.reliability, ece: metrics.uncertainty.ece, title: "Reliability diagram")
            + "<figcaption>Reliability: accuracy per top-label confidence bin (\(metrics.uncertainty.eceBins) bins). Bars under the dashed diagonal mean over-confidence.</figcaption></figure>"
        if !entropyValues.isEmpty {
            uncertainty += "<figure>" + SVG.histogram(entropyValues, xLabel: "softmax entropy (nats)", title: "Entropy histogram")
                + "<figcaption>Distribution of predictive entropy; high values mark uncertain pixels.</figcaption></figure>"
        }
        uncertainty += "</div>" + ReportTables.uncertainty(metrics.uncertainty)
        page.section("Calibration and uncertainty", id: "uncertainty", uncertainty)
        let tileMIoU = tiles.compactMap(\.miou)
        page.section("Per-tile distribution", id: "tiles",
                     "<figure>" + SVG.histogram(tileMIoU, bins: 20, range: 0...1, xLabel: "tile mIoU", title: "Tile mIoU")
                     + "<figcaption>How mIoU varies over tiles; a long left tail means some scenes fail.</figcaption></figure>")
        if !metrics.failedTiles.isEmpty {
            page.section("Failed tiles", id: "failed", failedTilesTable())
        }
        page.section("Worst tiles", id: "worst", worstTiles(sink: &sink))
        if !trainingHistory.isEmpty {
            page.section("Training curves", id: "training",
                         SVG.lineChart(trainingHistory, xLabel: "epoch", title: "Training history"))
        }
        if !attributions.isEmpty {
            page.section("Attribution gallery", id: "attributions", attributionGallery(sink: &sink))
        }
        return (page.render(), sink.files)
    }

    /// Writes `report.html` (and with `.beside`, its image folder) into `directory`.
    @discardableResult
    public func write(to directory: URL, images: ReportImages = .embedded, fileName: String = "report.html") throws -> URL {
        let (html, files) = render(images: images)
        try ReportFiles.write(html: html, images: files, mode: images, to: directory, fileName: fileName)
        return directory.appendingPathComponent(fileName)
    }

    /// The manifest as a definition list.
    func manifestList(_ rows: [(key: String, value: String)]) -> String {
        guard !rows.isEmpty else { return "<p class=\"note\">No run manifest (run.json) was found.</p>" }
        return "<dl class=\"manifest\">" + rows.map { "<dt>\(HTML.escape($0.key))</dt><dd>\(HTML.escape($0.value))</dd>" }.joined() + "</dl>"
    }

    /// The tiles skipped with `on_error: skip`, with the reason each failed.
    func failedTilesTable() -> String {
        var s = "<p class=\"note\">\(metrics.failedTiles.count) tiles could not be read, paired or scored and count in no metric.</p>"
        s += "<table class=\"sortable\"><thead><tr><th class=\"name\">tile</th><th class=\"name\">error</th></tr></thead><tbody>"
        for failure in metrics.failedTiles {
            s += "<tr><td class=\"name\">\(HTML.escape(failure.tile))</td><td class=\"name\">\(HTML.escape(failure.error))</td></tr>"
        }
        return s + "</tbody></table>"
    }

    /// The sortable table of the lowest-mIoU tiles with their thumbnails.
    func worstTiles(sink: inout ImageSink) -> String {
        let ranked = tiles.sorted { ($0.miou ?? 2, $0.tile) < ($1.miou ?? 2, $1.tile) }.prefix(worstTileCount)
        let pictures = Dictionary(galleries.map { ($0.tile, $0.thumbnails) }, uniquingKeysWith: { a, _ in a })
        let labels = ReportTables.columnLabels(galleries.map(\.thumbnails))
        var s = "<p class=\"note\">The \(ranked.count) tiles with the lowest mIoU. Click a column header to sort.</p>"
        s += "<table class=\"sortable\"><thead><tr><th class=\"name\">tile</th><th>mIoU</th><th>accuracy</th><th>mean entropy</th><th>pixels</th>"
        s += labels.map { "<th class=\"name\">\(HTML.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in ranked {
            s += "<tr><td class=\"name\">\(HTML.escape(row.tile))</td>"
            s += "<td data-v=\"\(row.miou ?? -1)\">\(HTML.number(row.miou))</td>"
            s += "<td data-v=\"\(row.accuracy ?? -1)\">\(HTML.number(row.accuracy))</td>"
            s += "<td data-v=\"\(row.meanEntropy ?? -1)\">\(HTML.number(row.meanEntropy))</td>"
            s += "<td data-v=\"\(row.pixels)\">\(row.pixels)</td>"
            let thumbs = pictures[row.tile] ?? []
            for label in labels {
                if let thumb = thumbs.first(where: { $0.label == label }) {
                    s += "<td class=\"name\">" + sink.image(thumb.png, name: "\(row.tile)_\(label)", alt: "\(row.tile) \(label)") + "</td>"
                } else {
                    s += "<td class=\"name\">—</td>"
                }
            }
            s += "</tr>"
        }
        return s + "</tbody></table>" + ReportTables.classLegend(metrics.classes)
            + "<p class=\"note\">Error map: light grey correct, magenta wrong, dark grey unscored. Entropy: magma colormap from 0 to ln C over the composite.</p>"
    }

    /// Attribution maps grouped by tile.
    func attributionGallery(sink: inout ImageSink) -> String {
        Self.attributionFigures(attributions.map { ($0, []) }, sink: &sink)
    }

    /// A gallery of attribution heatmaps, each captioned with its tile, method, class and `facts`
    /// (shared by the run report and the explain gallery).
    static func attributionFigures(_ items: [(attribution: Attribution, facts: [String])], sink: inout ImageSink) -> String {
        var s = "<div class=\"gallery\">"
        for (entry, facts) in items {
            let caption = ([entry.tile, entry.method, "class \(entry.className)"] + facts).joined(separator: " · ")
            s += "<figure>" + sink.image(entry.png, name: "\(entry.tile)_\(entry.method)_\(entry.className)", alt: caption, cssClass: "attr")
                + "<figcaption>\(HTML.escape(caption))</figcaption></figure>"
        }
        return s + "</div>"
    }
}

/// Writing a report and its image folder.
enum ReportFiles {
    static func write(html: String, images: [String: [UInt8]], mode: ReportImages, to directory: URL, fileName: String) throws {
        if case .beside(let folder) = mode {
            let imageDirectory = directory.appendingPathComponent(folder)
            for (name, bytes) in images {
                try AtomicFile.write(Data(bytes), to: imageDirectory.appendingPathComponent(name))
            }
        }
        try AtomicFile.write(html, to: directory.appendingPathComponent(fileName))
    }
}
