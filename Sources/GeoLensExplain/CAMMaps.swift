/// Post-processing shared by the CAM methods, as pytorch-grad-cam 1.5 does it: ReLU, per-image
/// min-max scaling, OpenCV-style bilinear resize (half-pixel centres, edge clamping).
public enum CAMMaps {
    /// x - min, then divided by (max + 1e-7) where max is taken after subtracting min.
    public static func minMaxScaled(_ map: [Float]) -> [Float] {
        guard let low = map.min() else { return map }
        var shifted = map.map { $0 - low }
        let high = shifted.max() ?? 0
        let denominator = 1e-7 + high
        for i in shifted.indices { shifted[i] /= denominator }
        return shifted
    }

    /// max(x, 0) elementwise.
    public static func relu(_ map: [Float]) -> [Float] { map.map { max($0, 0) } }

    /// Bilinear resize of a row-major `height` x `width` map to `newHeight` x `newWidth` with
    /// OpenCV INTER_LINEAR coordinates: src = (dst + 0.5) * scale - 0.5, clamped to the edges.
    public static func resizeBilinear(_ map: [Float], height: Int, width: Int, newHeight: Int, newWidth: Int) -> [Float] {
        precondition(map.count == height * width, "resizeBilinear: \(map.count) values for a \(height)x\(width) map")
        if height == newHeight && width == newWidth { return map }
        let rows = axisTaps(source: height, target: newHeight)
        let cols = axisTaps(source: width, target: newWidth)
        var out = [Float](repeating: 0, count: newHeight * newWidth)
        map.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (r, row) in rows.enumerated() {
                    for (c, col) in cols.enumerated() {
                        let top = src[row.low * width + col.low] * (1 - col.fraction) + src[row.low * width + col.high] * col.fraction
                        let bottom = src[row.high * width + col.low] * (1 - col.fraction) + src[row.high * width + col.high] * col.fraction
                        dst[r * newWidth + c] = top * (1 - row.fraction) + bottom * row.fraction
                    }
                }
            }
        }
        return out
    }

    /// Source indices and interpolation weight for each target index along one axis.
    private static func axisTaps(source: Int, target: Int) -> [(low: Int, high: Int, fraction: Float)] {
        let scale = Double(source) / Double(target)
        return (0..<target).map { t in
            let position = (Double(t) + 0.5) * scale - 0.5
            var low = Int(position.rounded(.down))
            var fraction = Float(position - Double(low))
            if low < 0 { low = 0; fraction = 0 }
            if low >= source - 1 { low = source - 1; fraction = 0 }
            return (low, min(low + 1, source - 1), fraction)
        }
    }
}
