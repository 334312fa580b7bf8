/// A rectangle of pixels: column `x`, row `y` of its top-left corner, and its size.
public struct RasterWindow: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        precondition(width >= 0 && height >= 0,
                     "RasterWindow: negative size \(width) x \(height)")
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// The whole of a `width` x `height` raster.
    public static func full(width: Int, height: Int) -> RasterWindow {
        RasterWindow(x: 0, y: 0, width: width, height: height)
    }

    /// Number of pixels.
    public var pixelCount: Int { width * height }

    /// True when the window lies inside a `width` x `height` raster.
    public func isInside(width rasterWidth: Int, height rasterHeight: Int) -> Bool {
        x >= 0 && y >= 0 && x + width <= rasterWidth && y + height <= rasterHeight
    }

    public var description: String { "window x \(x), y \(y), \(width) x \(height)" }
}

/// The six coefficients mapping pixel/line to georeferenced coordinates, in GDAL's order:
/// `X = originX + col * pixelWidth + row * rowRotation`, `Y = originY + col * columnRotation + row * pixelHeight`.
public struct GeoTransform: Hashable, Sendable, CustomStringConvertible {
    public var coefficients: [Double]

    public init(_ coefficients: [Double]) {
        precondition(coefficients.count == 6, "GeoTransform: needs 6 coefficients, got \(coefficients.count)")
        self.coefficients = coefficients
    }

    /// GDAL's default for rasters without georeferencing.
    public static let identity = GeoTransform([0, 1, 0, 0, 0, 1])

    public var originX: Double { coefficients[0] }
    public var pixelWidth: Double { coefficients[1] }
    public var originY: Double { coefficients[3] }
    public var pixelHeight: Double { coefficients[5] }

    /// Georeferenced coordinates of the top-left corner of pixel (`column`, `row`).
    public func coordinates(column: Double, row: Double) -> (x: Double, y: Double) {
        (coefficients[0] + column * coefficients[1] + row * coefficients[2],
         coefficients[3] + column * coefficients[4] + row * coefficients[5])
    }

    /// The geotransform of a window of this raster (same pixel size, shifted origin).
    public func shifted(to window: RasterWindow) -> GeoTransform {
        let (x, y) = coordinates(column: Double(window.x), row: Double(window.y))
        var c = coefficients
        c[0] = x; c[3] = y
        return GeoTransform(c)
    }

    /// True when every coefficient agrees within `tolerance` pixel sizes (rounding in headers).
    public func isClose(to other: GeoTransform, pixelFraction tolerance: Double = 1e-6) -> Bool {
        let scale = max(abs(pixelWidth), abs(pixelHeight), 1e-12)
        return zip(coefficients, other.coefficients).allSatisfy { abs($0 - $1) <= tolerance * scale }
    }

    public var description: String {
        "[" + coefficients.map { String($0) }.joined(separator: ", ") + "]"
    }
}
