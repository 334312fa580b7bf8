/// Colours for class ids: a qualitative, colour-blind-aware palette (Okabe-Ito first, then
/// Tableau), with a reserved colour for nodata/ignored pixels. Renders class-id maps
/// (references, predictions) and error maps as palette PNGs.
public struct ClassPalette: Sendable, Equatable {
    /// One colour per class id.
    public let colors: [RGBA]
    /// Colour of pixels with no valid class (nodata, ignore_index).
    public let nodata: RGBA

    /// The default palette for `classCount` classes (cycling after 16).
    public init(classCount: Int, nodata: RGBA = RGBA(0, 0, 0)) {
        precondition(classCount >= 1, "ClassPalette: need at least one class, got \(classCount)")
        colors = (0..<classCount).map { Self.qualitative[$0 % Self.qualitative.count] }
        self.nodata = nodata
    }

    /// Explicit colours (for example from a model card).
    public init(colors: [RGBA], nodata: RGBA = RGBA(0, 0, 0)) {
        precondition(!colors.isEmpty && colors.count < 256, "ClassPalette: \(colors.count) colours, need 1...255")
        self.colors = colors
        self.nodata = nodata
    }

    /// Okabe-Ito (minus black) then Tableau 10.
    static let qualitative: [RGBA] = [
        "#56b4e9", "#f0f0f0", "#e69f00", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7",
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f",
    ].map(Colormap.parseHex)

    /// A palette PNG of class ids; ids outside 0..<classCount (nodata, 255) get the nodata colour.
    public func render(classIDs: [Int], width: Int, height: Int) -> PNGImage {
        precondition(classIDs.count == width * height,
                     "ClassPalette.render: \(classIDs.count) ids for a \(width) x \(height) image")
        let nodataIndex = UInt8(colors.count)
        let bytes = classIDs.map { id in (id >= 0 && id < colors.count) ? UInt8(id) : nodataIndex }
        return PNGImage(width: width, height: height, layout: .palette(colors + [nodata]), pixels: bytes)
    }

    /// An error map: correct pixels light grey, wrong pixels magenta, unscored pixels (reference
    /// outside the classes: nodata, ignore_index) dark grey.
    public static func errorMap(reference: [Int], prediction: [Int], classCount: Int,
                                width: Int, height: Int) -> PNGImage {
        precondition(reference.count == width * height && prediction.count == width * height,
                     "ClassPalette.errorMap: \(reference.count) reference and \(prediction.count) predicted ids for \(width) x \(height)")
        let palette: [RGBA] = [RGBA(40, 40, 40), RGBA(200, 200, 200), RGBA(204, 0, 153)]
        var bytes = [UInt8](repeating: 0, count: width * height)
        for i in 0..<bytes.count {
            let r = reference[i]
            guard r >= 0 && r < classCount else { continue }
            bytes[i] = prediction[i] == r ? 1 : 2
        }
        return PNGImage(width: width, height: height, layout: .palette(palette), pixels: bytes)
    }

    /// A disagreement map between two predictions: agree = light grey, disagree = orange,
    /// unscored (either id invalid) = dark.
    public static func disagreementMap(_ a: [Int], _ b: [Int], classCount: Int, width: Int, height: Int) -> PNGImage {
        precondition(a.count == width * height && b.count == width * height,
                     "ClassPalette.disagreementMap: \(a.count) and \(b.count) ids for \(width) x \(height)")
        let palette: [RGBA] = [RGBA(40, 40, 40), RGBA(200, 200, 200), RGBA(230, 159, 0)]
        var bytes = [UInt8](repeating: 0, count: width * height)
        for i in 0..<bytes.count {
            guard a[i] >= 0 && a[i] < classCount && b[i] >= 0 && b[i] < classCount else { continue }
            bytes[i] = a[i] == b[i] ? 1 : 2
        }
        return PNGImage(width: width, height: height, layout: .palette(palette), pixels: bytes)
    }
}
