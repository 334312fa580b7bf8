public import GeoLensTensor

/// Band composites for people: three (or one) bands stretched linearly between their 2nd and
/// 98th percentiles (per band, over valid pixels), clipped, written as 8-bit RGB. Nodata pixels
/// are drawn black so that they never look like data.
public enum Composite {
    /// The composite of `bands` (1 or 3 planes of `width * height` values, in R, G, B order).
    ///
    /// - Parameters:
    ///   - valid: per-pixel validity (nil: all valid). Non-finite values are always invalid.
    ///   - stretch: lower and upper percentiles in 0...100 (default 2-98).
    public static func make(bands: [[Float]], width: Int, height: Int, valid: [Bool]? = nil,
                            stretch: (lower: Double, upper: Double) = (2, 98)) -> PNGImage {
        precondition(bands.count == 1 || bands.count == 3, "Composite.make: \(bands.count) bands, need 1 or 3")
        let count = width * height
        for (k, band) in bands.enumerated() {
            precondition(band.count == count, "Composite.make: band \(k) has \(band.count) values for \(width) x \(height)")
        }
        if let valid { precondition(valid.count == count, "Composite.make: \(valid.count) validity flags for \(count) pixels") }
        let mask = (0..<count).map { i in (valid?[i] ?? true) && bands.allSatisfy { $0[i].isFinite } }
        let ranges = bands.map { percentileRange($0, mask: mask, lower: stretch.lower, upper: stretch.upper) }
        var bytes = [UInt8](repeating: 0, count: count * 3)
        bytes.withUnsafeMutableBufferPointer { out in
            for i in 0..<count where mask[i] {
                for channel in 0..<3 {
                    let k = bands.count == 1 ? 0 : channel
                    let (low, high) = ranges[k]
                    let scaled = high > low ? (bands[k][i] - low) / (high - low) : 0.5
                    out[3 * i + channel] = UInt8((max(0, min(1, scaled)) * 255).rounded())
                }
            }
        }
        return PNGImage(width: width, height: height, layout: .rgb, pixels: bytes)
    }

    /// The composite of bands `indices` (0-based channels, 1 or 3) of a `[C, H, W]` tensor.
    public static func make(_ tensor: Tensor, channels indices: [Int], valid: [Bool]? = nil,
                            stretch: (lower: Double, upper: Double) = (2, 98)) -> PNGImage {
        precondition(tensor.shape.count == 3, "Composite.make: expected a [C, H, W] tensor, got shape \(tensor.shape)")
        let (channels, height, width) = (tensor.shape[0], tensor.shape[1], tensor.shape[2])
        for c in indices {
            precondition(c >= 0 && c < channels, "Composite.make: channel \(c) outside shape \(tensor.shape)")
        }
        let plane = height * width
        let bands = tensor.withUnsafeBufferPointer { values in
            indices.map { c in Array(values[(c * plane)..<((c + 1) * plane)]) }
        }
        return make(bands: bands, width: width, height: height, valid: valid, stretch: stretch)
    }

    /// The values at the `lower` and `upper` percentiles (linear interpolation, as numpy's
    /// default) of the masked values; (0, 0) when no value is valid.
    public static func percentileRange(_ values: [Float], mask: [Bool], lower: Double, upper: Double) -> (Float, Float) {
        var kept: [Float] = []
        kept.reserveCapacity(values.count)
        for i in 0..<values.count where mask[i] { kept.append(values[i]) }
        guard !kept.isEmpty else { return (0, 0) }
        kept.sort()
        return (percentile(sorted: kept, lower), percentile(sorted: kept, upper))
    }

    /// numpy-style linear percentile of sorted values.
    static func percentile(sorted: [Float], _ q: Double) -> Float {
        let position = max(0, min(1, q / 100)) * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = Float(position - Double(below))
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }
}
