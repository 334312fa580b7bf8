public import GeoLensTensor

/// The per-channel normalization a model card asks for, applied after band selection and
/// `input_scale`/`input_offset`: x' = (clamp(x, clipMin[c], clipMax[c]) - mean[c]) / std[c].
/// Every command that feeds a model (eval, predict, explain, train) uses this one definition.
public struct InputNormalization: Sendable, Equatable {
    public let mean: [Float]
    public let std: [Float]
    /// Per-channel bounds (-inf/+inf where the card sets none).
    public private(set) var clipMin: [Float]
    public private(set) var clipMax: [Float]

    /// Identity normalization for `channels` channels.
    public init(channels: Int) {
        self.init(mean: [Float](repeating: 0, count: channels), std: [Float](repeating: 1, count: channels))
    }

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "InputNormalization: \(mean.count) means for \(std.count) standard deviations")
        self.mean = mean
        self.std = std
        clipMin = [Float](repeating: -.infinity, count: mean.count)
        clipMax = [Float](repeating: .infinity, count: mean.count)
    }

    /// The card's mean/std for `channels` input channels (identity where the card gives none).
    public init(card: ModelCard, channels: Int) {
        if let inputs = card.inputs {
            // One mean/std per channel of the stacked inputs, in card order.
            self.init(mean: inputs.flatMap { input in (input.mean ?? Array(repeating: 0, count: input.channels)).map(Float.init) },
                      std: inputs.flatMap { input in (input.std ?? Array(repeating: 1, count: input.channels)).map(Float.init) })
            return
        }
        self.init(mean: card.mean.map { $0.map(Float.init) } ?? [Float](repeating: 0, count: channels),
                  std: card.std.map { $0.map(Float.init) } ?? [Float](repeating: 1, count: channels))
        if let low = card.clipMin, low.count == channels { clipMin = low.map { $0.map(Float.init) ?? -.infinity } }
        if let high = card.clipMax, high.count == channels { clipMax = high.map { $0.map(Float.init) ?? .infinity } }
    }

    /// Whether any channel is clipped.
    public var clips: Bool { clipMin.contains { $0 > -.infinity } || clipMax.contains { $0 < .infinity } }

    public var isIdentity: Bool { !clips && mean.allSatisfy { $0 == 0 } && std.allSatisfy { $0 == 1 } }

    /// One scaled value of `channel`, normalized.
    public func normalize(_ value: Float, channel: Int) -> Float {
        (min(max(value, clipMin[channel]), clipMax[channel]) - mean[channel]) / std[channel]
    }

    /// Normalizes an NCHW (or CHW) batch in place, off the tape.
    public func apply(to x: inout Tensor) {
        guard !isIdentity else { return }
        let channelAxis = x.rank == 4 ? 1 : 0
        precondition(x.shape[channelAxis] == mean.count,
                     "InputNormalization: input of shape \(x.shape) has \(x.shape[channelAxis]) channels, the card normalizes \(mean.count)")
        let plane = x.shape[(channelAxis + 1)...].reduce(1, *)
        let channels = mean.count
        let (mean, std, low, high, clips) = (self.mean, self.std, self.clipMin, self.clipMax, self.clips)
        x.withUnsafeMutableBufferPointer { p in
            for start in stride(from: 0, to: p.count, by: plane) {
                let c = (start / plane) % channels
                let m = mean[c], inv = 1 / std[c]
                if clips {
                    let (lo, hi) = (low[c], high[c])
                    for i in start..<start + plane { p[i] = (min(max(p[i], lo), hi) - m) * inv }
                } else {
                    for i in start..<start + plane { p[i] = (p[i] - m) * inv }
                }
            }
        }
    }

    /// The inverse map (normalized values back to scaled band values; clipping cannot be undone).
    public func invert(_ value: Float, channel: Int) -> Float { value * std[channel] + mean[channel] }
}
