public import GeoLensNN
public import GeoLensTensor

/// Evaluates v(z) = y(z * x + (1 - z) * b) for batches of coalitions through the model, for
/// several targets at once (one forward pass per batch, no tape). Inputs outside every feature
/// (bands in no group, nodata pixels) keep their value from x in every coalition.
public struct CoalitionEvaluator {
    public let model: any SegmentationModel
    public let input: Tensor
    public let baseline: Tensor
    public let features: [AttributionFeature]
    public let targets: [SegmentationTarget]
    /// Coalitions per forward pass.
    public let batchSize: Int
    /// Forward passes run so far (coalition count, for reporting).
    public private(set) var evaluations = 0

    public init(model: any SegmentationModel, input: Tensor, baseline: Tensor, features: [AttributionFeature],
                targets: [SegmentationTarget], batchSize: Int = 8) {
        precondition(input.rank == 4 && input.shape[0] == 1 && baseline.shape == input.shape,
                     "CoalitionEvaluator: input \(input.shape) and baseline \(baseline.shape) must both be [1, C, H, W]")
        self.model = model
        self.input = input.detached()
        self.baseline = baseline.detached()
        self.features = features
        self.targets = targets
        self.batchSize = max(1, batchSize)
    }

    /// v(z) for each coalition (`true` keeps the feature from x): result[coalition][target].
    public mutating func values(_ coalitions: [[Bool]]) -> [[Double]] {
        var result: [[Double]] = []
        result.reserveCapacity(coalitions.count)
        for start in stride(from: 0, to: coalitions.count, by: batchSize) {
            let chunk = Array(coalitions[start..<min(start + batchSize, coalitions.count)])
            let batch = compose(chunk)
            let logits = model(batch)
            let perTarget = targets.map { $0.values(of: logits) }
            for item in chunk.indices { result.append(perTarget.map { $0[item] }) }
            evaluations += chunk.count
        }
        return result
    }

    /// The batch of composed inputs [B, C, H, W] for `coalitions`.
    func compose(_ coalitions: [[Bool]]) -> Tensor {
        let (channels, height, width) = (input.shape[1], input.shape[2], input.shape[3])
        let plane = height * width, itemSize = channels * plane
        return input.withUnsafeBufferPointer { x in
            baseline.withUnsafeBufferPointer { b in
                Tensor(shape: [coalitions.count, channels, height, width]) { out in
                    for (item, coalition) in coalitions.enumerated() {
                        precondition(coalition.count == features.count,
                                     "CoalitionEvaluator: coalition of \(coalition.count) flags for \(features.count) features")
                        // Pixels and channels outside every feature (nodata, bands in no group) keep x.
                        let base = item * itemSize
                        for i in 0..<itemSize { out[base + i] = x[i] }
                        for (feature, kept) in zip(features, coalition) where !kept {
                            for channel in feature.channels {
                                let offset = channel * plane
                                feature.forEachRun(height: height, width: width) { run in
                                    for i in run { out[base + offset + i] = b[offset + i] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Shapley values of one target over the features.
public struct ShapleyResult: Sendable {
    public let classIndex: Int
    public let featureNames: [String]
    public let values: [Double]
    /// Standard errors (KernelSHAP, GradientSHAP); nil for exact methods.
    public let standardErrors: [Double]?
    /// v(baseline): every feature absent.
    public let baseValue: Double
    /// v(x): every feature present.
    public let fullValue: Double
    /// Coalitions or gradient evaluations used.
    public let evaluations: Int

    /// sum(phi) - (f(x) - f(b)).
    public var completenessResidual: Double { values.reduce(0, +) - (fullValue - baseValue) }
}
