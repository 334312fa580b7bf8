public import GeoLensTensor

/// Which pixels of a batch carry usable image data (false = nodata). Pixels are indexed like the
/// labels: image-major, then row, then column (N * H * W entries).
public enum PixelValidity: Sendable {
    /// Every pixel is valid (non-finite model outputs are still excluded).
    case all
    /// One flag per pixel.
    case flags([Bool])
    /// One bit per pixel, least significant bit first within each byte (GDAL mask bands packed).
    case bitmask([UInt8])

    /// Checks the mask covers `pixelCount` pixels.
    func check(pixelCount: Int) {
        switch self {
        case .all: break
        case .flags(let flags):
            precondition(flags.count == pixelCount,
                         "PixelValidity: \(flags.count) flags for \(pixelCount) pixels (N * H * W)")
        case .bitmask(let bytes):
            precondition(bytes.count * 8 >= pixelCount,
                         "PixelValidity: bitmask of \(bytes.count) bytes covers fewer than \(pixelCount) pixels")
        }
    }
}

extension PixelValidity {
    /// The validity of the `[N, B, H, W]` image batch fed to the model (METRICS.md): a pixel is
    /// invalid when any band is not finite or equals that band's declared nodata value.
    ///
    /// - Parameter nodata: one optional nodata value per band (`nil` = none declared), or an
    ///   empty array for no nodata at all.
    public static func image(_ images: Tensor, nodata: [Float?] = []) -> PixelValidity {
        precondition(images.rank == 4, "PixelValidity.image: image batch shape \(images.shape) is not [N, B, H, W]")
        let (count, bands, plane) = (images.shape[0], images.shape[1], images.shape[2] * images.shape[3])
        precondition(nodata.isEmpty || nodata.count == bands,
                     "PixelValidity.image: \(nodata.count) nodata values for \(bands) bands")
        var flags = [Bool](repeating: true, count: count * plane)
        images.withUnsafeBufferPointer { values in
            flags.withUnsafeMutableBufferPointer { flags in
                for n in 0..<count {
                    for b in 0..<bands {
                        let fill = nodata.isEmpty ? nil : nodata[b]
                        let band = (n * bands + b) * plane
                        for p in 0..<plane {
                            let v = values[band + p]
                            if !v.isFinite || v == fill { flags[n * plane + p] = false }
                        }
                    }
                }
            }
        }
        return .flags(flags)
    }
}
