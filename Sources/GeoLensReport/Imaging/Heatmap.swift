/// Colormapped maps (attributions, entropy, probabilities), optionally blended over a composite.
public enum Heatmap {
    /// The value range a heatmap maps to colours 0...1.
    public struct Range: Sendable, Equatable {
        public var low: Float
        public var high: Float

        public init(low: Float, high: Float) {
            self.low = low
            self.high = high
        }

        /// Position of `value` in 0...1 (0.5 for an empty range).
        @inline(__always)
        func normalized(_ value: Float) -> Float { high > low ? (value - low) / (high - low) : 0.5 }
    }

    /// The range of the finite values of `map`: min-max, or `[-m, m]` with m = max |value| when
    /// `symmetric` (so zero sits at the centre of a diverging map).
    public static func range(of map: [Float], symmetric: Bool) -> Range {
        var low = Float.infinity, high = -Float.infinity
        for v in map where v.isFinite {
            low = min(low, v)
            high = max(high, v)
        }
        guard low <= high else { return Range(low: 0, high: 0) }
        if symmetric {
            let m = max(abs(low), abs(high))
            return Range(low: -m, high: m)
        }
        return Range(low: low, high: high)
    }

    /// Renders `map` (`width * height` values) through `colormap` as RGB.
    ///
    /// - Parameters:
    ///   - composite: an image of the same size to blend over (nil: the map alone).
    ///   - alpha: weight of the map colour over the composite, 0...1.
    ///   - symmetric: scale to `[-m, m]` (signed attributions) instead of min-max.
    ///   - range: a fixed range (for several maps on one scale); overrides `symmetric`.
    ///   - valid: pixels to colour; others show the composite (or black).
    public static func render(map: [Float], width: Int, height: Int, over composite: PNGImage? = nil,
                              colormap: Colormap = .viridis, alpha: Float = 0.5, symmetric: Bool = false,
                              range fixed: Range? = nil, valid: [Bool]? = nil) -> PNGImage {
        let count = width * height
        precondition(map.count == count, "Heatmap.render: \(map.count) values for a \(width) x \(height) image")
        if let composite {
            precondition(composite.width == width && composite.height == height,
                         "Heatmap.render: composite is \(composite.width) x \(composite.height), map is \(width) x \(height)")
        }
        let range = fixed ?? self.range(of: map, symmetric: symmetric)
        let weight = composite == nil ? 1 : alpha
        var bytes = [UInt8](repeating: 0, count: count * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                let below = composite?.color(x: x, y: y) ?? RGBA(0, 0, 0)
                let isValid = (valid?[i] ?? true) && map[i].isFinite
                let c = isValid ? below.blended(with: colormap.color(range.normalized(map[i])), alpha: weight) : below
                bytes[3 * i] = c.red
                bytes[3 * i + 1] = c.green
                bytes[3 * i + 2] = c.blue
            }
        }
        return PNGImage(width: width, height: height, layout: .rgb, pixels: bytes)
    }
}

/// A colour bar for a heatmap: a horizontal gradient image and an SVG with labelled ends.
public enum ColorBar {
    /// A `width x height` RGB gradient from value 0 (left) to 1 (right).
    public static func image(_ colormap: Colormap, width: Int = 256, height: Int = 16) -> PNGImage {
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for x in 0..<width {
            let c = colormap.color(width > 1 ? Float(x) / Float(width - 1) : 0)
            for y in 0..<height {
                let o = (y * width + x) * 3
                bytes[o] = c.red; bytes[o + 1] = c.green; bytes[o + 2] = c.blue
            }
        }
        return PNGImage(width: width, height: height, layout: .rgb, pixels: bytes)
    }

    /// An inline SVG colour bar with the range ends and a label (escaped).
    public static func svg(_ colormap: Colormap, range: Heatmap.Range, label: String, width: Int = 240) -> String {
        let stops = stride(from: 0, through: 8, by: 1).map { i -> String in
            let t = Float(i) / 8
            return "<stop offset=\"\(Int(t * 100))%\" stop-color=\"\(colormap.color(t).hex)\"/>"
        }.joined()
        let id = "cb-\(colormap.name)"
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="38" role="img" aria-label="\(HTML.escape(label))">\
        <defs><linearGradient id="\(id)">\(stops)</linearGradient></defs>\
        <rect x="0" y="0" width="\(width)" height="12" fill="url(#\(id))"/>\
        <text x="0" y="26" font-size="11">\(SVG.format(Double(range.low)))</text>\
        <text x="\(width)" y="26" font-size="11" text-anchor="end">\(SVG.format(Double(range.high)))</text>\
        <text x="\(width / 2)" y="36" font-size="11" text-anchor="middle">\(HTML.escape(label))</text></svg>
        """
    }
}
