import Foundation

/// The tapering weight used when overlapping windows are averaged: high in the window centre,
/// low towards sides shared with a neighbour, so seams vanish. Sides on the scene border keep
/// the peak weight (nothing else covers those pixels).
public enum BlendWeight: Hashable, Sendable {
    /// Every pixel weighs 1 (plain average of overlaps).
    case uniform
    /// Hann (raised cosine) over the tile: `0.5 - 0.5 cos(2 pi (i + 0.5) / L)`.
    case hann
    /// Gaussian centred on the tile with standard deviation `sigmaFraction * L` (0.125 is common).
    case gaussian(sigmaFraction: Double)

    /// The one-dimensional weight profile of length `length` (>= 1 everywhere it counts:
    /// strictly positive), flattened to the peak on the sides that lie on the scene border.
    public func profile(length: Int, flatStart: Bool, flatEnd: Bool) -> [Float] {
        let l = Double(length)
        var values: [Double] = (0..<length).map { i in
            let t = (Double(i) + 0.5) / l
            switch self {
            case .uniform: return 1
            case .hann: return 0.5 - 0.5 * cos(2 * Double.pi * t)
            case .gaussian(let fraction):
                let d = (t - 0.5) / fraction
                return exp(-0.5 * d * d)
            }
        }
        let peak = values.max() ?? 1
        let middle = length / 2
        if flatStart { for i in 0..<middle { values[i] = peak } }
        if flatEnd { for i in middle..<length { values[i] = peak } }
        // Keep every weight positive so each pixel's normalizing sum is non-zero.
        return values.map { Float(max($0 / peak, 1e-6)) }
    }
}
