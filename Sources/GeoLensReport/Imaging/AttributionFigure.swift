/// The figure `geolens explain` and the trainer's attribution snapshots write for one map, made
/// to be read on its own: a title (tile and class) and subtitle (method and layer or feature
/// set) above the map; the map blended at alpha 0.6 over a 2-98 percentile composite, enlarged
/// by a whole factor when the tile is small, with segment or grid outlines in black; below it the
/// colour bar with its minimum, middle and maximum values and what they measure, and a scale bar
/// in metres when the tile is georeferenced. Every word sits outside the map.
///
/// Sequential viridis for CAM maps (min-max of the map); the colour-blind-safe diverging map
/// centred on zero for signed SHAP-family maps. Drawn with Cairo (see `Canvas`).
public struct AttributionFigure: Sendable {
    /// The words of a figure.
    public struct Caption: Sendable, Equatable {
        /// First line, bold: e.g. "tile_r0_c0 · class cloud".
        public var title: String
        /// Second line: e.g. "GradCAM++ · layer up4.conv".
        public var subtitle: String
        /// What the colours measure: "GradCAM++ (normalized)", "SHAP value (logit units)".
        public var quantity: String
        /// How to read the colour bar's ends, or nil.
        public var note: String?

        public init(title: String, subtitle: String, quantity: String, note: String? = nil) {
            self.title = title
            self.subtitle = subtitle
            self.quantity = quantity
            self.note = note
        }
    }

    /// Where each part of a figure sits; a function of the map size and of which optional rows exist.
    public struct Layout: Sendable, Equatable {
        /// Margin around the content.
        public static let margin = 8
        /// The narrowest content (title and colour bar), whatever the map size.
        public static let minimumContentWidth = 240
        /// Small maps are enlarged by whole factors until their long side would pass this.
        public static let targetMapSide = 256

        public let width: Int
        public let height: Int
        /// Each map pixel is drawn as a `zoom` x `zoom` block.
        public let zoom: Int
        /// Both title lines.
        public let title: FigureRect
        /// The map (at `zoom`).
        public let map: FigureRect
        /// The colour strip of the colour bar (ticks and words below it).
        public let colorBar: FigureRect
        /// The scale bar row, when there is one.
        public let scaleBar: FigureRect?

        /// The layout for a `mapWidth` x `mapHeight` map.
        public init(mapWidth: Int, mapHeight: Int, hasNote: Bool, hasScaleBar: Bool) {
            precondition(mapWidth > 0 && mapHeight > 0, "AttributionFigure.Layout: map size \(mapWidth) x \(mapHeight)")
            let margin = Self.margin
            zoom = Self.zoom(mapWidth: mapWidth, mapHeight: mapHeight)
            let content = Self.contentWidth(mapWidth: mapWidth, mapHeight: mapHeight)
            width = content + 2 * margin
            title = FigureRect(x: margin, y: 4, width: content, height: 34)
            let shown = (width: mapWidth * zoom, height: mapHeight * zoom)
            map = FigureRect(x: margin + (content - shown.width) / 2, y: title.bottom + 4, width: shown.width, height: shown.height)
            colorBar = FigureRect(x: margin, y: map.bottom + 10, width: content, height: ColorScaleLegend.barHeight)
            let legendBottom = colorBar.y + ColorScaleLegend.height(hasNote: hasNote)
            scaleBar = hasScaleBar ? FigureRect(x: margin, y: legendBottom + 2, width: content, height: ScaleBar.height) : nil
            height = (scaleBar?.bottom ?? legendBottom) + margin
        }

        /// The whole enlargement factor of a map: 4 for 64-pixel tiles, 2 for 100-128, 1 from 129 on.
        public static func zoom(mapWidth: Int, mapHeight: Int) -> Int {
            max(1, targetMapSide / max(mapWidth, mapHeight))
        }

        /// Width of the title, map and colour-bar column.
        static func contentWidth(mapWidth: Int, mapHeight: Int) -> Int {
            max(minimumContentWidth, mapWidth * zoom(mapWidth: mapWidth, mapHeight: mapHeight))
        }
    }

    /// Title line sizes.
    static let titleSize = 12.0, subtitleSize = 11.0

    /// Row-major `height` x `width` values.
    public var map: [Float]
    public var width: Int
    public var height: Int
    /// 1 or 3 bands of the composite, each row-major `height` x `width`.
    public var composite: [[Float]]
    /// Signed attributions: diverging colormap centred on zero.
    public var signed: Bool
    /// Pixels drawn in black over the heatmap (segment or grid outlines).
    public var boundaries: [Bool]?
    public var caption: Caption
    /// Ground size of one map pixel in metres (nil: no scale bar, e.g. not georeferenced or in degrees).
    public var metresPerPixel: Double?

    public init(map: [Float], height: Int, width: Int, composite: [[Float]], signed: Bool, boundaries: [Bool]? = nil,
                caption: Caption, metresPerPixel: Double? = nil) {
        precondition(map.count == width * height, "AttributionFigure: \(map.count) values for \(width) x \(height)")
        if let boundaries {
            precondition(boundaries.count == width * height,
                         "AttributionFigure: \(boundaries.count) boundary flags for \(width) x \(height)")
        }
        self.map = map
        self.width = width
        self.height = height
        self.composite = composite
        self.signed = signed
        self.boundaries = boundaries
        self.caption = caption
        self.metresPerPixel = metresPerPixel
    }

    /// Viridis for CAM maps, diverging for signed maps.
    public var colormap: Colormap { signed ? .diverging : .viridis }

    /// The value range the colours span (min-max, or symmetric about zero when signed).
    public var range: Heatmap.Range { Heatmap.range(of: map, symmetric: signed) }

    /// The scale bar: at most 40 % of the content width, in figure pixels (map pixels / zoom).
    public var scaleBar: ScaleBar? {
        guard let metresPerPixel else { return nil }
        let zoom = Layout.zoom(mapWidth: width, mapHeight: height)
        let content = Layout.contentWidth(mapWidth: width, mapHeight: height)
        return ScaleBar.fitting(metresPerPixel: metresPerPixel / Double(zoom), maximumPixels: content * 2 / 5)
    }

    public var layout: Layout {
        Layout(mapWidth: width, mapHeight: height, hasNote: caption.note != nil, hasScaleBar: scaleBar != nil)
    }

    /// The map alone at one pixel per value: the heatmap over the composite with the outlines.
    public func mapImage() -> PNGImage {
        let background = Composite.make(bands: composite, width: width, height: height)
        var heat = Heatmap.render(map: map, width: width, height: height, over: background, colormap: colormap,
                                  alpha: 0.6, symmetric: signed)
        if let boundaries {
            for i in boundaries.indices where boundaries[i] { for k in 0..<3 { heat.pixels[i * 3 + k] = 0 } }
        }
        return heat
    }

    /// The whole figure.
    ///
    /// - Throws: `PNGError` when Cairo cannot draw it.
    public func render() throws(PNGError) -> PNGImage {
        let layout = self.layout
        let canvas = try Canvas(width: layout.width, height: layout.height)
        let title = layout.title, column = Double(layout.title.width)
        canvas.text(canvas.fitting(caption.title, width: column, size: Self.titleSize, weight: .bold),
                    x: Double(title.x), y: Double(title.y) + 14, size: Self.titleSize, weight: .bold)
        canvas.text(canvas.fitting(caption.subtitle, width: column, size: Self.subtitleSize),
                    x: Double(title.x), y: Double(title.y) + 29, size: Self.subtitleSize, color: Canvas.muted)
        let frame = layout.map
        canvas.frame(x: Double(frame.x - 1), y: Double(frame.y - 1), width: Double(frame.width + 2),
                     height: Double(frame.height + 2), color: RGBA(0x99, 0x99, 0x99))
        canvas.draw(mapImage(), x: frame.x, y: frame.y, zoom: layout.zoom)
        ColorScaleLegend(colormap: colormap, range: range, quantity: caption.quantity, note: caption.note)
            .draw(on: canvas, bar: layout.colorBar)
        if let bar = scaleBar, let row = layout.scaleBar { bar.draw(on: canvas, x: row.x, y: row.y) }
        return try canvas.image()
    }
}
