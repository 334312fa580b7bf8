import Foundation
import GeoLensReport

/// Pixel questions the figure tests ask of decoded PNGs.
enum FigurePixels {
    /// Dark pixels (text, axes, ticks): every channel at most 110.
    static func isInk(_ c: RGBA) -> Bool { c.red <= 110 && c.green <= 110 && c.blue <= 110 }

    /// The number of ink pixels inside `rect` of `image`.
    static func inkCount(_ image: PNGImage, in rect: FigureRect) -> Int {
        var count = 0
        for y in rect.y..<rect.bottom {
            for x in rect.x..<rect.right where isInk(image.color(x: x, y: y)) { count += 1 }
        }
        return count
    }

    /// Whether every pixel of `rect` is white.
    static func isBlank(_ image: PNGImage, _ rect: FigureRect) -> Bool {
        for y in rect.y..<rect.bottom {
            for x in rect.x..<rect.right where image.color(x: x, y: y) != RGBA(255, 255, 255) { return false }
        }
        return true
    }

    /// `image` enlarged `zoom` times by repeating pixels (what a figure does with its map).
    static func enlarged(_ image: PNGImage, zoom: Int) -> PNGImage {
        let n = image.bytesPerPixel
        var bytes: [UInt8] = []
        bytes.reserveCapacity(image.pixels.count * zoom * zoom)
        for y in 0..<(image.height * zoom) {
            for x in 0..<(image.width * zoom) {
                let o = ((y / zoom) * image.width + x / zoom) * n
                bytes += image.pixels[o..<(o + n)]
            }
        }
        return PNGImage(width: image.width * zoom, height: image.height * zoom, layout: image.layout, pixels: bytes)
    }

    /// Vertical runs of pixels of colour `color` in column `x` (a bar chart's bars along its zero line).
    static func runs(of color: RGBA, in image: PNGImage, column x: Int) -> Int {
        var runs = 0, inside = false
        for y in 0..<image.height {
            let hit = image.color(x: x, y: y) == color
            if hit && !inside { runs += 1 }
            inside = hit
        }
        return runs
    }

    /// A smooth test map and a three-band composite of a `size` x `size` tile.
    static func tile(size: Int, signed: Bool = false) -> (map: [Float], composite: [[Float]]) {
        var map = [Float](repeating: 0, count: size * size)
        var bands = [[Float]](repeating: map, count: 3)
        for y in 0..<size {
            for x in 0..<size {
                let i = y * size + x
                let t = Float(x + y) / Float(2 * (size - 1))
                map[i] = signed ? 2 * t - 1 : t
                bands[0][i] = Float(x)
                bands[1][i] = Float(y)
                bands[2][i] = Float((x * 7 + y * 3) % size)
            }
        }
        return (map, bands)
    }
}
