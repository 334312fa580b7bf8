/// How `resized` picks or blends source pixels.
public enum ResizeMode: Sendable, Hashable {
    /// One source pixel per output pixel, chosen by rounding the source coordinate.
    case nearest(NearestRounding)
    /// Linear interpolation along both spatial axes; source coordinates are clamped to the input.
    case bilinear
}

/// ONNX Resize `nearest_mode`: how a fractional source coordinate becomes a pixel index.
public enum NearestRounding: String, Sendable {
    case floor, ceil, roundPreferFloor, roundPreferCeil
}

/// ONNX Resize `coordinate_transformation_mode`: where output pixel `x` samples the input.
public enum CoordinateTransform: String, Sendable {
    /// (x + 0.5) / scale - 0.5.
    case halfPixel
    /// x / scale.
    case asymmetric
    /// x * (in - 1) / (out - 1) (0 when the output has length 1).
    case alignCorners
    /// Like `halfPixel`, but 0 when the output has length 1.
    case pytorchHalfPixel
}

/// The source taps of every output position along one spatial axis: `lower` with weight
/// `1 - upperWeight` and `upper` with weight `upperWeight` (nearest: `upper == lower`, weight 0).
struct ResizeAxis: Sendable {
    var lower: [Int]
    var upper: [Int]
    var upperWeight: [Float]

    /// ONNX Resize along one axis. `scale` is out / in unless the graph gives it.
    static func onnx(input: Int, output: Int, scale: Float?, mode: ResizeMode, transform: CoordinateTransform) -> ResizeAxis {
        let scale = scale ?? Float(output) / Float(input)
        let sources = (0..<output).map { x -> Float in
            let xf = Float(x)
            switch transform {
            case .halfPixel: return (xf + 0.5) / scale - 0.5
            case .asymmetric: return xf / scale
            case .alignCorners: return output == 1 ? 0 : xf * Float(input - 1) / Float(output - 1)
            case .pytorchHalfPixel: return output > 1 ? (xf + 0.5) / scale - 0.5 : 0
            }
        }
        switch mode {
        case .nearest(let rounding):
            return nearest(sources.map { rounded($0, rounding) }, input: input)
        case .bilinear:
            return linear(sources.map { Swift.min(Swift.max($0, 0), Float(input - 1)) }, input: input)
        }
    }

    /// PyTorch `F.interpolate` along one axis: nearest is floor(x * in / out); bilinear uses
    /// `area_pixel_compute_source_index` (half-pixel clamped at 0, or align-corners).
    static func pytorch(input: Int, output: Int, bilinear: Bool, alignCorners: Bool) -> ResizeAxis {
        if !bilinear {
            let scale = Float(input) / Float(output)
            return nearest((0..<output).map { _floorf(Float($0) * scale) }, input: input)
        }
        if alignCorners {
            let scale: Float = output > 1 ? Float(input - 1) / Float(output - 1) : 0
            return linear((0..<output).map { scale * Float($0) }, input: input)
        }
        let scale = Float(input) / Float(output)
        return linear((0..<output).map { Swift.max(scale * (Float($0) + 0.5) - 0.5, 0) }, input: input)
    }

    /// Taps for already rounded source coordinates, clamped into the input.
    private static func nearest(_ sources: [Float], input: Int) -> ResizeAxis {
        let index = sources.map { s -> Int in
            s <= 0 ? 0 : Swift.min(Int(s), input - 1)
        }
        return ResizeAxis(lower: index, upper: index, upperWeight: [Float](repeating: 0, count: index.count))
    }

    /// Taps for non-negative fractional source coordinates (PyTorch's index and lambda computation).
    private static func linear(_ sources: [Float], input: Int) -> ResizeAxis {
        var axis = ResizeAxis(lower: [], upper: [], upperWeight: [])
        for s in sources {
            let i0 = Swift.min(Int(s), input - 1)
            axis.lower.append(i0)
            axis.upper.append(i0 < input - 1 ? i0 + 1 : i0)
            axis.upperWeight.append(Swift.min(Swift.max(s - Float(i0), 0), 1))
        }
        return axis
    }

    /// ONNX `nearest_mode` rounding (the result is clamped into the input afterwards).
    private static func rounded(_ x: Float, _ mode: NearestRounding) -> Float {
        switch mode {
        case .floor: return _floorf(x)
        case .ceil: return _ceilf(x)
        case .roundPreferFloor:
            let f = _floorf(x)
            return x - f == 0.5 ? f : (x - f < 0.5 ? f : f + 1)
        case .roundPreferCeil:
            let f = _floorf(x)
            return x - f >= 0.5 ? f + 1 : f
        }
    }

    var count: Int { lower.count }

    /// The whole factor `f` when this nearest axis maps output `i` to input `i / f` (every input
    /// repeated `f` times), else nil.
    func repeatFactor(input: Int) -> Int? {
        guard input > 0, count % input == 0 else { return nil }
        let factor = count / input
        return lower.indices.allSatisfy { lower[$0] == $0 / factor } ? factor : nil
    }
    var isNearest: Bool { upperWeight.allSatisfy { $0 == 0 } }
}
