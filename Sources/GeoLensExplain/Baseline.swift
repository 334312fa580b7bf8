public import GeoLensTensor

/// The reference input coalitions take absent features from (in normalized model-input space).
public enum Baseline: Sendable, Equatable {
    /// Each channel at its mean over the tile (default).
    case tileMean
    /// Zeros in normalized space.
    case zero
    /// A constant per channel (e.g. a dataset mean, already normalized).
    case perChannel([Float])

    /// The baseline tensor for `input` [1, C, H, W].
    public func tensor(for input: Tensor) throws(ExplainError) -> Tensor {
        let (channels, plane) = (input.shape[1], input.shape[2] * input.shape[3])
        let values: [Float]
        switch self {
        case .zero:
            values = [Float](repeating: 0, count: channels)
        case .perChannel(let given):
            guard given.count == channels else {
                throw ExplainError("baseline has \(given.count) values, the model takes \(channels) channels: give one value per channel")
            }
            values = given
        case .tileMean:
            values = input.withUnsafeBufferPointer { p in
                (0..<channels).map { c in
                    var sum = 0.0
                    for i in c * plane..<(c + 1) * plane { sum += Double(p[i]) }
                    return Float(sum / Double(plane))
                }
            }
        }
        return Tensor(shape: input.shape) { out in
            for c in 0..<channels { for i in c * plane..<(c + 1) * plane { out[i] = values[c] } }
        }
    }
}
