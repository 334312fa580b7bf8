/// A continuous colormap: evenly spaced anchor colours, linearly interpolated into a 256-entry
/// lookup table. The perceptually uniform maps (viridis, magma, cividis) are the defaults;
/// `diverging` (ColorBrewer RdBu, reversed: blue for negative, red for positive, colour-blind
/// safe) is for signed attributions; `jet` exists only for users who ask for it.
public struct Colormap: Sendable, Equatable {
    public let name: String
    /// 256 colours from value 0 to value 1.
    public let table: [RGBA]

    /// A map through `anchors` (hex `#rrggbb`), evenly spaced from 0 to 1.
    public init(name: String, anchors: [String]) {
        precondition(anchors.count >= 2, "Colormap \(name): need at least two anchor colours, got \(anchors.count)")
        let colors = anchors.map(Self.parseHex)
        self.name = name
        self.table = (0..<256).map { i in
            let position = Float(i) / 255 * Float(colors.count - 1)
            let lower = min(Int(position), colors.count - 2)
            let fraction = position - Float(lower)
            return colors[lower].blended(with: colors[lower + 1], alpha: fraction)
        }
    }

    /// The colour of `value` in 0...1 (clamped; NaN maps to 0).
    @inline(__always)
    public func color(_ value: Float) -> RGBA {
        guard value.isFinite else { return table[0] }
        let index = Int((max(0, min(1, value)) * 255).rounded())
        return table[index]
    }

    /// The map by name (`viridis`, `magma`, `cividis`, `diverging`, `jet`), or nil.
    public static func named(_ name: String) -> Colormap? {
        all.first { $0.name == name.lowercased() }
    }

    /// Every map, for option lists and documentation.
    public static let all: [Colormap] = [.viridis, .magma, .cividis, .diverging, .jet]

    public static let viridis = Colormap(name: "viridis", anchors: [
        "#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725",
    ])
    public static let magma = Colormap(name: "magma", anchors: [
        "#000004", "#180f3d", "#440f76", "#721f81", "#9e2f7f", "#cd4071", "#f1605d", "#fd9668", "#feca8d", "#fcfdbf",
    ])
    public static let cividis = Colormap(name: "cividis", anchors: [
        "#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8779", "#a69d75", "#c4b56c", "#e4cf5b", "#fee838",
    ])
    /// Blue (negative) through near-white (zero) to red (positive).
    public static let diverging = Colormap(name: "diverging", anchors: [
        "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b",
    ])
    /// Legacy rainbow map; not perceptually uniform, offered only on request.
    public static let jet = Colormap(name: "jet", anchors: [
        "#00007f", "#0000ff", "#007fff", "#00ffff", "#7fff7f", "#ffff00", "#ff7f00", "#ff0000", "#7f0000",
    ])

    /// `#rrggbb` to a colour (a malformed literal is a programming error).
    static func parseHex(_ text: String) -> RGBA {
        let digits = Array(text.dropFirst())
        precondition(text.first == "#" && digits.count == 6, "Colormap: bad colour literal \(text)")
        func byte(_ i: Int) -> UInt8 { UInt8(String(digits[i..<(i + 2)]), radix: 16)! }
        return RGBA(byte(0), byte(2), byte(4))
    }
}
