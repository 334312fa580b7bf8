/// The PNG quicklook `geolens predict` writes beside each scene's class raster
/// (`<stem>_pred.png`): a title (scene and model), the class map in `ClassPalette` colours
/// (sampled down for large scenes, enlarged by a whole factor for small ones), a legend of the
/// class names and colours, and a scale bar in metres when the scene is georeferenced. Drawn
/// with Cairo (see `Canvas`); the words sit outside the map.
public struct PredictionQuicklook: Sendable {
    /// Where each part of a quicklook sits.
    public struct Layout: Sendable, Equatable {
        public let width: Int
        public let height: Int
        public let zoom: Int
        public let title: FigureRect
        public let map: FigureRect
        /// One swatch per legend entry, in class order ("no data" last when shown).
        public let swatches: [FigureRect]
        public let scaleBar: FigureRect?
    }

    /// Row-major class ids of the shown grid; ids outside the classes are no data.
    public var classIDs: [Int]
    public var width: Int
    public var height: Int
    public var classNames: [String]
    public var palette: ClassPalette
    /// First line, e.g. "scene · cloud_unet_a".
    public var title: String
    /// Second line, e.g. "prediction, 512 x 512 pixels shown at 1:2".
    public var subtitle: String
    /// Ground size of one grid pixel in metres (nil: no scale bar).
    public var metresPerPixel: Double?

    public init(classIDs: [Int], width: Int, height: Int, classNames: [String], palette: ClassPalette, title: String,
                subtitle: String, metresPerPixel: Double? = nil) {
        precondition(classIDs.count == width * height, "PredictionQuicklook: \(classIDs.count) ids for \(width) x \(height)")
        self.classIDs = classIDs
        self.width = width
        self.height = height
        self.classNames = classNames
        self.palette = palette
        self.title = title
        self.subtitle = subtitle
        self.metresPerPixel = metresPerPixel
    }

    var legend: ClassLegend {
        ClassLegend(classNames: classNames, palette: palette,
                    showsNodata: classIDs.contains { $0 < 0 || $0 >= classNames.count })
    }

    /// The scale bar: at most 40 % of the content width.
    public var scaleBar: ScaleBar? {
        guard let metresPerPixel else { return nil }
        let zoom = AttributionFigure.Layout.zoom(mapWidth: width, mapHeight: height)
        return ScaleBar.fitting(metresPerPixel: metresPerPixel / Double(zoom),
                                maximumPixels: AttributionFigure.Layout.contentWidth(mapWidth: width, mapHeight: height) * 2 / 5)
    }

    public var layout: Layout {
        // The title and map column follow the attribution figure's, so the two kinds look alike.
        let base = AttributionFigure.Layout(mapWidth: width, mapHeight: height, hasNote: false, hasScaleBar: false)
        let content = base.title.width, margin = AttributionFigure.Layout.margin
        let legendTop = base.map.bottom + 10
        let legend = self.legend
        let legendBottom = legendTop + legend.height(width: content)
        let scaleRow = scaleBar.map { _ in FigureRect(x: margin, y: legendBottom + 4, width: content, height: ScaleBar.height) }
        return Layout(width: base.width, height: (scaleRow?.bottom ?? legendBottom) + margin, zoom: base.zoom, title: base.title,
                      map: base.map, swatches: legend.swatches(x: margin, y: legendTop, width: content), scaleBar: scaleRow)
    }

    /// The whole quicklook.
    ///
    /// - Throws: `PNGError` when Cairo cannot draw it.
    public func render() throws(PNGError) -> PNGImage {
        let layout = self.layout
        let canvas = try Canvas(width: layout.width, height: layout.height)
        let column = Double(layout.title.width)
        canvas.text(canvas.fitting(title, width: column, size: AttributionFigure.titleSize, weight: .bold),
                    x: Double(layout.title.x), y: Double(layout.title.y) + 14, size: AttributionFigure.titleSize, weight: .bold)
        canvas.text(canvas.fitting(subtitle, width: column, size: AttributionFigure.subtitleSize), x: Double(layout.title.x),
                    y: Double(layout.title.y) + 29, size: AttributionFigure.subtitleSize, color: Canvas.muted)
        let frame = layout.map
        canvas.frame(x: Double(frame.x - 1), y: Double(frame.y - 1), width: Double(frame.width + 2),
                     height: Double(frame.height + 2), color: RGBA(0x99, 0x99, 0x99))
        canvas.draw(palette.render(classIDs: classIDs, width: width, height: height), x: frame.x, y: frame.y, zoom: layout.zoom)
        legend.draw(on: canvas, x: layout.title.x, y: frame.bottom + 10, width: layout.title.width)
        if let bar = scaleBar, let row = layout.scaleBar { bar.draw(on: canvas, x: row.x, y: row.y) }
        return try canvas.image()
    }
}
