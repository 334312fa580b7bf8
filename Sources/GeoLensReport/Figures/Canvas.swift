internal import CCairo

/// A white page that GeoLens draws one figure on, through Cairo: an RGB image surface and its
/// drawing context, freed together when the canvas goes away.
///
/// Coordinates are pixels from the top-left corner. Text is DejaVu Sans (fontconfig picks the
/// nearest sans-serif face when it is missing) through Cairo's text API, anti-aliased in grey
/// with slight hinting, so a figure looks the same on every screen. Raster images (heatmaps,
/// colour bars, class maps) are copied pixel for pixel, enlarged by whole factors with nearest
/// neighbour sampling, so the map in a figure holds exactly the colours GeoLens computed.
///
/// This is the only file that imports Cairo; callers see `PNGImage` and `PNGError`.
final class Canvas {
    /// The face of a text run.
    enum Weight {
        case regular, bold
    }

    /// Which point of a text run sits at the given x.
    enum Anchor {
        case start, middle, end
    }

    /// Near-black for text and axes.
    static let ink = RGBA(0x22, 0x22, 0x22)
    /// Grey for secondary text (subtitles, captions).
    static let muted = RGBA(0x55, 0x55, 0x55)
    /// The page colour.
    static let paper = RGBA(255, 255, 255)
    /// The font family asked of fontconfig.
    static let family = "DejaVu Sans"

    let width: Int
    let height: Int
    private let surface: OpaquePointer
    private let context: OpaquePointer

    /// A `width` x `height` canvas filled with `background`.
    ///
    /// - Throws: `PNGError` with Cairo's message when the surface cannot be made (out of memory,
    ///   a size beyond Cairo's 32767-pixel limit).
    init(width: Int, height: Int, background: RGBA = Canvas.paper) throws(PNGError) {
        precondition(width > 0 && height > 0, "Canvas: size \(width) x \(height) must be positive")
        let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(clamping: width), Int32(clamping: height))!
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            cairo_surface_destroy(surface)
            throw PNGError("cannot make a \(width) x \(height) figure: \(Self.message(status))")
        }
        let context = cairo_create(surface)!
        self.width = width
        self.height = height
        self.surface = surface
        self.context = context
        let options = cairo_font_options_create()
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_SLIGHT)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_ON)
        cairo_set_font_options(context, options)
        cairo_font_options_destroy(options)
        fill(x: 0, y: 0, width: Double(width), height: Double(height), color: background)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    // MARK: Shapes

    /// Fills a rectangle.
    func fill(x: Double, y: Double, width: Double, height: Double, color: RGBA) {
        setColor(color)
        cairo_rectangle(context, x, y, width, height)
        cairo_fill(context)
    }

    /// A straight line; 1-pixel lines on whole coordinates are shifted half a pixel so they stay crisp.
    func line(from start: (x: Double, y: Double), to end: (x: Double, y: Double), color: RGBA, width lineWidth: Double = 1) {
        let shift = lineWidth.truncatingRemainder(dividingBy: 2) == 1 ? 0.5 : 0
        let vertical = start.x == end.x, horizontal = start.y == end.y
        setColor(color)
        cairo_set_line_width(context, lineWidth)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
        cairo_move_to(context, start.x + (vertical ? shift : 0), start.y + (horizontal ? shift : 0))
        cairo_line_to(context, end.x + (vertical ? shift : 0), end.y + (horizontal ? shift : 0))
        cairo_stroke(context)
    }

    /// The outline of a rectangle, one pixel wide, inside its bounds.
    func frame(x: Double, y: Double, width: Double, height: Double, color: RGBA) {
        setColor(color)
        cairo_set_line_width(context, 1)
        cairo_rectangle(context, x + 0.5, y + 0.5, width - 1, height - 1)
        cairo_stroke(context)
    }

    // MARK: Images

    /// Copies `image` with its top-left corner at (`x`, `y`), each pixel drawn as a `zoom` x `zoom`
    /// block (nearest neighbour, no smoothing). Alpha is ignored: figures are opaque.
    func draw(_ image: PNGImage, x: Int, y: Int, zoom: Int = 1) {
        precondition(zoom >= 1, "Canvas.draw: zoom \(zoom) must be at least 1")
        let stride = Int(cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, Int32(image.width)))
        let rowWords = stride / 4
        var words = [UInt32](repeating: 0, count: rowWords * image.height)
        words.withUnsafeMutableBufferPointer { out in
            image.pixels.withUnsafeBufferPointer { bytes in
                // RGB and grey images are read straight from their bytes; other layouts pixel by pixel.
                for row in 0..<image.height {
                    for column in 0..<image.width {
                        let i = row * image.width + column
                        let (r, g, b): (UInt8, UInt8, UInt8)
                        switch image.layout {
                        case .rgb: (r, g, b) = (bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2])
                        case .gray: (r, g, b) = (bytes[i], bytes[i], bytes[i])
                        default:
                            let c = image.color(x: column, y: row)
                            (r, g, b) = (c.red, c.green, c.blue)
                        }
                        out[row * rowWords + column] = 0xFF00_0000 | UInt32(r) << 16 | UInt32(g) << 8 | UInt32(b)
                    }
                }
            }
        }
        words.withUnsafeMutableBytes { raw in
            let source = cairo_image_surface_create_for_data(raw.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                             CAIRO_FORMAT_RGB24, Int32(image.width), Int32(image.height),
                                                             Int32(stride))!
            cairo_save(context)
            cairo_translate(context, Double(x), Double(y))
            cairo_scale(context, Double(zoom), Double(zoom))
            cairo_set_source_surface(context, source, 0, 0)
            cairo_pattern_set_filter(cairo_get_source(context), CAIRO_FILTER_NEAREST)
            cairo_rectangle(context, 0, 0, Double(image.width), Double(image.height))
            cairo_fill(context)
            cairo_restore(context)
            // The context no longer holds the source; finishing it releases the borrowed bytes.
            cairo_surface_finish(source)
            cairo_surface_destroy(source)
        }
    }

    // MARK: Text

    /// Draws `string` with its baseline at `y`; `anchor` says whether `x` is its start, middle or end.
    func text(_ string: String, x: Double, y: Double, size: Double, weight: Weight = .regular,
              anchor: Anchor = .start, color: RGBA = Canvas.ink) {
        guard !string.isEmpty else { return }
        setFont(size: size, weight: weight)
        let advance = self.advance(string)
        let start = switch anchor {
        case .start: x
        case .middle: x - advance / 2
        case .end: x - advance
        }
        setColor(color)
        cairo_move_to(context, start.rounded(), y)
        cairo_show_text(context, string)
    }

    /// How far `string` advances the pen at this size and weight, in pixels.
    func textWidth(_ string: String, size: Double, weight: Weight = .regular) -> Double {
        setFont(size: size, weight: weight)
        return advance(string)
    }

    /// `string`, or its longest prefix followed by "…", that fits in `width` pixels.
    func fitting(_ string: String, width: Double, size: Double, weight: Weight = .regular) -> String {
        guard textWidth(string, size: size, weight: weight) > width else { return string }
        var kept = Substring(string)
        while !kept.isEmpty {
            kept = kept.dropLast()
            let candidate = kept + "…"
            if textWidth(String(candidate), size: size, weight: weight) <= width { return String(candidate) }
        }
        return "…"
    }

    // MARK: Output

    /// The picture as an RGB `PNGImage`.
    ///
    /// - Throws: `PNGError` with Cairo's message when any drawing call failed.
    func image() throws(PNGError) -> PNGImage {
        let status = cairo_status(context)
        guard status == CAIRO_STATUS_SUCCESS else { throw PNGError("cannot draw a figure: \(Self.message(status))") }
        cairo_surface_flush(surface)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = UnsafeRawPointer(cairo_image_surface_get_data(surface)!)
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        bytes.withUnsafeMutableBufferPointer { out in
            for row in 0..<height {
                for column in 0..<width {
                    // Cairo's RGB24 is a native-endian 32-bit xRGB word per pixel.
                    let word = data.load(fromByteOffset: row * stride + column * 4, as: UInt32.self)
                    let o = (row * width + column) * 3
                    out[o] = UInt8(truncatingIfNeeded: word >> 16)
                    out[o + 1] = UInt8(truncatingIfNeeded: word >> 8)
                    out[o + 2] = UInt8(truncatingIfNeeded: word)
                }
            }
        }
        return PNGImage(width: width, height: height, layout: .rgb, pixels: bytes)
    }

    // MARK: Cairo state

    private func setColor(_ color: RGBA) {
        cairo_set_source_rgba(context, Double(color.red) / 255, Double(color.green) / 255, Double(color.blue) / 255,
                              Double(color.alpha) / 255)
    }

    private func setFont(size: Double, weight: Weight) {
        cairo_select_font_face(context, Self.family, CAIRO_FONT_SLANT_NORMAL,
                               weight == .bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(context, size)
    }

    /// The pen advance of `string` in the current font.
    private func advance(_ string: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(context, string, &extents)
        return extents.x_advance
    }

    /// Cairo's own description of a status.
    private static func message(_ status: cairo_status_t) -> String {
        String(cString: cairo_status_to_string(status))
    }
}
