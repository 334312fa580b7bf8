public import GeoLensTensor

/// The per-channel normalization a model card asks for, applied after band selection and
/// `input_scale`/`input_offset`: x' = (x - mean[c]) / std[c]. Every command that feeds a
/// model (eval, predict, explain, train) uses this one definition.
public struct InputNormalization: Sendable, Equatable {
    public let mean: [Float]
    public let std: [Float]

    /// Identity normalization for `channels` channels.
    public init(channels: Int) {
        mean = [Float](repeating: 0, count: channels)
        std = [Float](repeating: 1, count: channels)
    }

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "InputNormalization: \(mean.count) means for \(std.count) standard deviations")
        self.mean = mean
        self.std = std
    }

    /// The card's mean/std for `channels` input channels (identity where the card gives none).
    public init(card: ModelCard, channels: Int) {
        self.init(mean: card.mean.map { $0.map(Float.init) } ?? [Float](repeating: 0, count: channels),
                  std: card.std.map { $0.map(Float.init) } ?? [Float](repeating: 1, count: channels))
    }

    public var isIdentity: Bool { mean.allSatisfy { $0 == 0 } && std.allSatisfy { $0 == 1 } }

    /// Normalizes an NCHW (or CHW) batch in place, off the tape.
    public func apply(to x: inout Tensor) {
        guard !isIdentity else { return }
        let channelAxis = x.rank == 4 ? 1 : 0
        precondition(x.shape[channelAxis] == mean.count,
                     "InputNormalization: input of shape \(x.shape) has \(x.shape[channelAxis]) channels, the card normalizes \(mean.count)")
        let plane = x.shape[(channelAxis + 1)...].reduce(1, *)
        let channels = mean.count
        let (mean, std) = (self.mean, self.std)
        x.withUnsafeMutableBufferPointer { p in
            for start in stride(from: 0, to: p.count, by: plane) {
                let c = (start / plane) % channels
                let m = mean[c], inv = 1 / std[c]
                for i in start..<start + plane { p[i] = (p[i] - m) * inv }
            }
        }
    }

    /// The inverse map (normalized values back to scaled band values).
    public func invert(_ value: Float, channel: Int) -> Float { value * std[channel] + mean[channel] }
}
