public import GeoLensNN
public import GeoLensTensor

/// dy/dx of one target at a batch of inputs [B, C, H, W]: one forward and one backward pass
/// per chunk of `batchSize` points, y summed over the batch (items are independent in
/// evaluation mode, so each item receives its own gradient). Parameters are constants in these
/// passes: the backward computes input gradients only, no weight gradients.
public struct InputGradients {
    public let model: any SegmentationModel
    public let batchSize: Int

    public init(model: any SegmentationModel, batchSize: Int = 8) {
        self.model = model
        self.batchSize = max(1, batchSize)
    }

    /// Calls `body(index, gradient)` for each point, the gradient a [1, C, H, W] tensor, for each target.
    public func forEachGradient(points: [Tensor], targets: [SegmentationTarget],
                                _ body: (_ point: Int, _ target: Int, _ gradient: UnsafeBufferPointer<Float>) -> Void) {
        guard let first = points.first else { return }
        let itemShape = Array(first.shape.dropFirst())
        let itemSize = itemShape.reduce(1, *)
        for start in stride(from: 0, to: points.count, by: batchSize) {
            let chunk = Array(points[start..<min(start + batchSize, points.count)])
            let batch = Tensor(shape: [chunk.count] + itemShape) { out in
                for (i, point) in chunk.enumerated() {
                    point.withUnsafeBufferPointer { p in
                        for j in 0..<itemSize { out[i * itemSize + j] = p[j] }
                    }
                }
            }.requiringGradient()
            let logits = model(batch, context: ForwardContext(mode: .evaluation, parameterGradients: false))
            for (t, target) in targets.enumerated() {
                let grad = gradients(of: logits, seed: target.seed(shape: logits.shape), wrt: [batch])[0]
                grad.withUnsafeBufferPointer { g in
                    for i in chunk.indices {
                        body(start + i, t, UnsafeBufferPointer(rebasing: g[i * itemSize..<(i + 1) * itemSize]))
                    }
                }
            }
        }
    }

    /// y of each target at `input` [1, C, H, W] (no tape).
    public func values(at input: Tensor, targets: [SegmentationTarget]) -> [Double] {
        let logits = model(input)
        return targets.map { $0.values(of: logits)[0] }
    }
}

/// A per-pixel, per-channel attribution map with its completeness bookkeeping.
public struct PixelAttribution: Sendable {
    public let classIndex: Int
    /// [C, H, W] row-major.
    public let values: [Float]
    public let channels: Int
    public let height: Int
    public let width: Int
    public let baseValue: Double
    public let fullValue: Double
    /// Standard error of the sum of attributions over samples (GradientSHAP); nil otherwise.
    public let standardError: Double?

    public var completenessResidual: Double { values.reduce(0.0) { $0 + Double($1) } - (fullValue - baseValue) }

    /// Sum over channels: an H x W map.
    public var channelSum: [Float] {
        let plane = height * width
        var out = [Float](repeating: 0, count: plane)
        for c in 0..<channels { for i in 0..<plane { out[i] += values[c * plane + i] } }
        return out
    }

    /// Sum of the attribution of each feature (its channels, over the pixels it covers).
    public func groupSums(_ features: [AttributionFeature]) -> [Double] {
        let plane = height * width
        return features.map { feature in
            var sum = 0.0
            for channel in feature.channels {
                let offset = channel * plane
                feature.forEachRun(height: height, width: width) { run in
                    for i in run { sum += Double(values[offset + i]) }
                }
            }
            return sum
        }
    }
}
