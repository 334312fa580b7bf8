/// A rectangle of a figure in whole pixels from its top-left corner: where the map, the colour
/// bar or the title sit, so that tests and callers can crop a figure's parts.
public struct FigureRect: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// The first row below the rectangle.
    public var bottom: Int { y + height }

    /// The first column right of the rectangle.
    public var right: Int { x + width }

    /// Whether pixel (`px`, `py`) lies inside.
    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < right && py >= y && py < bottom
    }

    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

extension PNGImage {
    /// The pixels of `rect` as a new image of the same layout.
    public func cropped(to rect: FigureRect) -> PNGImage {
        precondition(rect.x >= 0 && rect.y >= 0 && rect.right <= width && rect.bottom <= height && rect.width > 0 && rect.height > 0,
                     "PNGImage.cropped: \(rect) outside \(width) x \(height)")
        let n = bytesPerPixel
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rect.width * rect.height * n)
        for row in rect.y..<rect.bottom {
            let start = (row * width + rect.x) * n
            bytes += pixels[start..<(start + rect.width * n)]
        }
        return PNGImage(width: rect.width, height: rect.height, layout: layout, pixels: bytes)
    }
}
