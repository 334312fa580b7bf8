internal import CPNG
public import Foundation

/// Decodes PNG files with libpng's simplified API into 8-bit `PNGImage`s: grey and grey-alpha
/// files come back as `.gray` / `.rgba`, colour files as `.rgb` or `.rgba`, palette files
/// expanded to `.rgba`. Used by the tests and to embed images in reports.
public enum PNGReader {
    /// Decodes PNG bytes.
    ///
    /// - Throws: `PNGError` with libpng's message (`source` names where the bytes came from).
    public static func decode(_ data: Data, source: String = "PNG data in memory") throws -> PNGImage {
        // libpng keeps the input pointer between the two calls, so both run inside one borrow.
        try data.withUnsafeBytes { raw in try decode(raw, source: source) }
    }

    /// Decodes PNG bytes that stay valid for the whole call.
    private static func decode(_ raw: UnsafeRawBufferPointer, source: String) throws -> PNGImage {
        var control = png_image()
        control.version = png_uint_32(PNG_IMAGE_VERSION)
        let began = png_image_begin_read_from_memory(&control, raw.baseAddress, raw.count)
        guard began != 0 else { throw PNGError("cannot read \(source): \(PNGWriter.message(of: &control))") }
        let original = control.format
        let hasAlpha = original & PNGFormat.alpha != 0
        let isColor = original & PNGFormat.color != 0
        let isPalette = original & PNGFormat.colormap != 0
        let layout: PNGImage.Layout
        if isPalette || hasAlpha {
            layout = .rgba
            control.format = PNGFormat.rgba
        } else if isColor {
            layout = .rgb
            control.format = PNGFormat.rgb
        } else {
            layout = .gray
            control.format = PNGFormat.gray
        }
        let width = Int(control.width), height = Int(control.height)
        // The header's dimensions are checked before the pixel buffer is allocated: against a
        // memory budget, and against what the file's bytes can hold (deflate expands at most
        // 1032:1, and a 1-bit image packs 8 pixels in a byte).
        let pixelCount = width * height   // at most 10^6 x 10^6 (libpng's limits): no overflow
        let deliverable = raw.count * 8 * Self.maximumDeflateRatio
        guard pixelCount <= Self.maximumPixels, pixelCount <= deliverable else {
            png_image_free(&control)
            throw PNGError("cannot decode \(source): its header declares \(width) x \(height) pixels, "
                           + (pixelCount > Self.maximumPixels
                              ? "more than the \(Self.maximumPixels) GeoLens decodes"
                              : "more than its \(raw.count) bytes can hold; the file is corrupt or truncated"))
        }
        let stride = width * PNGImage.bytesPerPixel(layout)
        var pixels = [UInt8](repeating: 0, count: stride * height)
        let finished = pixels.withUnsafeMutableBytes { out in
            png_image_finish_read(&control, nil, out.baseAddress, Int32(stride), nil)
        }
        guard finished != 0 else { throw PNGError("cannot decode \(source): \(PNGWriter.message(of: &control))") }
        png_image_free(&control)
        return PNGImage(width: width, height: height, layout: layout, pixels: pixels)
    }

    /// The largest image decoded (2^28 pixels, 1 GiB as RGBA).
    public static let maximumPixels = 1 << 28
    /// Deflate's largest expansion of compressed bytes.
    static let maximumDeflateRatio = 1032

    /// Reads and decodes the PNG file at `url`.
    public static func read(_ url: URL) throws -> PNGImage {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PNGError("cannot open PNG \(url.path): \(error.localizedDescription)")
        }
        return try decode(data, source: url.path)
    }
}
