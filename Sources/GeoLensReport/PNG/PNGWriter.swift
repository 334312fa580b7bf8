internal import CPNG
public import Foundation
import GeoLensEval

/// Encodes `PNGImage`s with libpng's simplified API (`png_image_write_to_memory`), which
/// reports errors through the `png_image` message instead of `longjmp`, so no C error handler
/// has to unwind Swift frames.
public enum PNGWriter {
    /// The PNG bytes of `image` (8-bit; palette images are written as colour-mapped PNGs).
    ///
    /// - Throws: `PNGError` with libpng's message.
    public static func encode(_ image: PNGImage) throws -> Data {
        var control = png_image()
        control.version = png_uint_32(PNG_IMAGE_VERSION)
        control.width = png_uint_32(image.width)
        control.height = png_uint_32(image.height)
        var colormapBytes: [UInt8] = []
        switch image.layout {
        case .gray: control.format = PNGFormat.gray
        case .rgb: control.format = PNGFormat.rgb
        case .rgba: control.format = PNGFormat.rgba
        case .palette(let colors):
            control.format = PNGFormat.rgbaColormap
            control.colormap_entries = png_uint_32(colors.count)
            colormapBytes = colors.flatMap { [$0.red, $0.green, $0.blue, $0.alpha] }
        }
        let stride = Int32(image.width * image.bytesPerPixel)
        // First call sizes the output, second call fills it.
        var size = 0
        let sized = image.pixels.withUnsafeBytes { pixels in
            colormapBytes.withUnsafeBytes { map in
                png_image_write_to_memory(&control, nil, &size, 0, pixels.baseAddress, stride,
                                          colormapBytes.isEmpty ? nil : map.baseAddress)
            }
        }
        guard sized != 0, size > 0 else { throw PNGError("cannot encode PNG in memory: \(message(of: &control))") }
        var output = [UInt8](repeating: 0, count: size)
        let written = output.withUnsafeMutableBytes { out in
            image.pixels.withUnsafeBytes { pixels in
                colormapBytes.withUnsafeBytes { map in
                    png_image_write_to_memory(&control, out.baseAddress, &size, 0, pixels.baseAddress, stride,
                                              colormapBytes.isEmpty ? nil : map.baseAddress)
                }
            }
        }
        guard written != 0 else { throw PNGError("cannot encode PNG in memory: \(message(of: &control))") }
        png_image_free(&control)
        return Data(output.prefix(size))
    }

    /// Writes `image` to `url` atomically (temporary file then rename).
    ///
    /// - Throws: `PNGError` naming the file.
    public static func write(_ image: PNGImage, to url: URL) throws {
        let data = try encode(image)
        do {
            try AtomicFile.write(data, to: url)
        } catch {
            throw PNGError("cannot write PNG \(url.path): \(error)")
        }
    }

    /// libpng's message stored in a `png_image`, then the control's resources are released.
    static func message(of control: inout png_image) -> String {
        let text = withUnsafeBytes(of: control.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        png_image_free(&control)
        return text.isEmpty ? "libpng gave no message" : text
    }
}

/// libpng's `PNG_FORMAT_*` values; the composite macros (`PNG_FORMAT_RGBA`...) are expressions
/// that Swift does not import, so they are spelled out here from png.h.
enum PNGFormat {
    static let alpha = png_uint_32(PNG_FORMAT_FLAG_ALPHA)
    static let color = png_uint_32(PNG_FORMAT_FLAG_COLOR)
    static let colormap = png_uint_32(PNG_FORMAT_FLAG_COLORMAP)
    static let gray = png_uint_32(0)
    static let rgb = color
    static let rgba = color | alpha
    static let rgbaColormap = color | alpha | colormap
}
