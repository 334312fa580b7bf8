public import GeoLensTensor

/// Pixels of a window of some bands, as Float32, with the validity of every pixel.
public struct RasterBlock: Sendable {
    /// Values `[bands, height, width]`, already scaled (`value * scale + offset`).
    public var values: Tensor
    /// Per pixel (row-major, `height * width`): true when every fed band is valid there
    /// (not masked by GDAL's mask band, not equal to a band's nodata, finite).
    public var validity: [Bool]
    /// Where the block comes from.
    public let window: RasterWindow
    /// The 1-based bands read, in order.
    public let bands: [Int]

    public init(values: Tensor, validity: [Bool], window: RasterWindow, bands: [Int]) {
        precondition(values.shape == [bands.count, window.height, window.width],
                     "RasterBlock: values of shape \(values.shape) do not match \(bands.count) bands of \(window)")
        precondition(validity.count == window.pixelCount,
                     "RasterBlock: \(validity.count) validity flags for \(window.pixelCount) pixels")
        self.values = values
        self.validity = validity
        self.window = window
        self.bands = bands
    }

    /// The values with a batch dimension, `[1, bands, height, width]`.
    public var batched: Tensor { values.reshaped([1] + values.shape) }

    /// Number of valid pixels.
    public var validCount: Int { validity.reduce(0) { $0 + ($1 ? 1 : 0) } }
}
