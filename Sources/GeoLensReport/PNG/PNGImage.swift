/// An 8-bit image in memory, ready for PNG encoding: row-major pixels, interleaved channels.
///
/// The layout follows the PNG colour types GeoLens writes: grey (1 byte per pixel), RGB (3),
/// RGBA (4), and palette images (1 index byte per pixel into `palette`, up to 256 entries).
public struct PNGImage: Sendable, Equatable {
    /// How the bytes of one pixel are read.
    public enum Layout: Sendable, Equatable {
        case gray
        case rgb
        case rgba
        /// One index byte per pixel into a palette of RGBA colours.
        case palette([RGBA])
    }

    public let width: Int
    public let height: Int
    public let layout: Layout
    /// `width * height * bytesPerPixel` bytes, row-major.
    public var pixels: [UInt8]

    /// An image from existing bytes. A byte count that does not match the size and layout is a
    /// programming error.
    public init(width: Int, height: Int, layout: Layout, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "PNGImage: size \(width) x \(height) must be positive")
        let expected = width * height * Self.bytesPerPixel(layout)
        precondition(pixels.count == expected,
                     "PNGImage: \(pixels.count) bytes for a \(width) x \(height) \(layout) image, expected \(expected)")
        if case .palette(let colors) = layout {
            precondition(!colors.isEmpty && colors.count <= 256, "PNGImage: palette of \(colors.count) colours, need 1...256")
        }
        self.width = width
        self.height = height
        self.layout = layout
        self.pixels = pixels
    }

    /// An image filled with one colour (RGBA layout).
    public init(width: Int, height: Int, filledWith color: RGBA) {
        var bytes = [UInt8](repeating: 0, count: width * height * 4)
        for i in 0..<(width * height) {
            bytes[4 * i] = color.red
            bytes[4 * i + 1] = color.green
            bytes[4 * i + 2] = color.blue
            bytes[4 * i + 3] = color.alpha
        }
        self.init(width: width, height: height, layout: .rgba, pixels: bytes)
    }

    /// Bytes per pixel of a layout.
    public static func bytesPerPixel(_ layout: Layout) -> Int {
        switch layout {
        case .gray, .palette: 1
        case .rgb: 3
        case .rgba: 4
        }
    }

    /// Bytes per pixel of this image.
    public var bytesPerPixel: Int { Self.bytesPerPixel(layout) }

    /// The colour of pixel (x, y) whatever the layout (grey expands to equal RGB, opaque).
    public func color(x: Int, y: Int) -> RGBA {
        precondition(x >= 0 && x < width && y >= 0 && y < height,
                     "PNGImage.color: pixel (\(x), \(y)) outside \(width) x \(height)")
        let i = (y * width + x) * bytesPerPixel
        switch layout {
        case .gray: return RGBA(pixels[i], pixels[i], pixels[i])
        case .rgb: return RGBA(pixels[i], pixels[i + 1], pixels[i + 2])
        case .rgba: return RGBA(pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3])
        case .palette(let colors): return colors[min(Int(pixels[i]), colors.count - 1)]
        }
    }

    /// The same picture as RGBA bytes (for compositing and overlays).
    public var rgba: PNGImage {
        if layout == .rgba { return self }
        var bytes = [UInt8](repeating: 0, count: width * height * 4)
        for y in 0..<height {
            for x in 0..<width {
                let c = color(x: x, y: y)
                let o = (y * width + x) * 4
                bytes[o] = c.red; bytes[o + 1] = c.green; bytes[o + 2] = c.blue; bytes[o + 3] = c.alpha
            }
        }
        return PNGImage(width: width, height: height, layout: .rgba, pixels: bytes)
    }
}

/// An 8-bit colour with alpha.
public struct RGBA: Sendable, Equatable, Hashable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    public var alpha: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8, _ alpha: UInt8 = 255) {
        self.red = red
        self.green = green
        self.blue = blue
        self.alpha = alpha
    }

    /// `#rrggbb` for CSS and SVG.
    public var hex: String {
        let digits = Array("0123456789abcdef")
        return "#" + [red, green, blue].map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }.joined()
    }

    /// Straight-alpha blend of `top` over `self` with weight `alpha` in 0...1.
    public func blended(with top: RGBA, alpha: Float) -> RGBA {
        let a = Swift.max(0, Swift.min(1, alpha))
        func mix(_ below: UInt8, _ above: UInt8) -> UInt8 {
            UInt8((Float(below) * (1 - a) + Float(above) * a).rounded())
        }
        return RGBA(mix(red, top.red), mix(green, top.green), mix(blue, top.blue), self.alpha)
    }
}
