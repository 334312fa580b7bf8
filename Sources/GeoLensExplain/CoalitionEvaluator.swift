public import GeoLensNN
public import GeoLensTensor

/// Evaluates v(z) = y(z * x + (1 - z) * b) for batches of coalitions through the model, for
/// several targets at once (one forward pass per batch, no tape). Inputs outside every feature
/// (bands in no group, nodata pixels) keep their value from x in every coalition.
///
/// When the model's input goes through one convolution first (`InputConvolutionModel`), that
/// convolution is linear in the input: conv(x + sum over absent features g of m_g * (b - x)) =
/// conv(x) + sum over absent g of conv(m_g * (b - x)) (m_g: the feature's channels and pixels).
/// The evaluator computes conv(x) and the M feature terms once, builds each coalition's
/// convolution output by adding the absent features' terms in feature order, and runs only the
/// rest of the network per coalition. The values equal those of the composed inputs up to float
/// rounding in the first layer, and do not depend on the batch size or thread count.
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
    /// The input convolution's terms when the linear split is used (nil: composed inputs).
    private let stem: InputConvolutionTerms?

    /// Largest memory for the per-feature convolution terms; beyond it coalitions are composed.
    static let stemBudgetBytes = 256 << 20

    /// - Parameter splitInputConvolution: use the input convolution's linearity when the model
    ///   allows it (false composes every coalition's input: the reference path for tests).
    public init(model: any SegmentationModel, input: Tensor, baseline: Tensor, features: [AttributionFeature],
                targets: [SegmentationTarget], batchSize: Int = 8, splitInputConvolution: Bool = true) {
        precondition(input.rank == 4 && input.shape[0] == 1 && baseline.shape == input.shape,
                     "CoalitionEvaluator: input \(input.shape) and baseline \(baseline.shape) must both be [1, C, H, W]")
        self.model = model
        self.input = input.detached()
        self.baseline = baseline.detached()
        self.features = features
        self.targets = targets
        self.batchSize = max(1, batchSize)
        self.stem = splitInputConvolution
            ? InputConvolutionTerms(model: model, input: self.input, baseline: self.baseline, features: features,
                                    batchSize: self.batchSize, budgetBytes: Self.stemBudgetBytes)
            : nil
    }

    /// Whether coalitions run from the input convolution's per-feature terms.
    public var splitsInputConvolution: Bool { stem != nil }

    /// v(z) for each coalition (`true` keeps the feature from x): result[coalition][target].
    public mutating func values(_ coalitions: [[Bool]]) -> [[Double]] {
        var result: [[Double]] = []
        result.reserveCapacity(coalitions.count)
        for start in stride(from: 0, to: coalitions.count, by: batchSize) {
            let chunk = Array(coalitions[start..<min(start + batchSize, coalitions.count)])
            let logits = stem.map { $0.logits(chunk) } ?? model(compose(chunk))
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

/// conv(x) with the bias and conv(m_g * (b - x)) without it for every feature g, for a model
/// whose input goes through one convolution first (see `CoalitionEvaluator`).
struct InputConvolutionTerms {
    let model: any InputConvolutionModel
    let inputSize: (height: Int, width: Int)
    /// [1, C', H', W']: the convolution of the tile.
    let full: Tensor
    /// [M, C', H', W']: the convolution of each feature's change from x to the baseline.
    let terms: Tensor

    /// Nil when the model has no input convolution, features overlap (their terms would count
    /// shared inputs twice), or the terms would exceed `budgetBytes`.
    init?(model: any SegmentationModel, input: Tensor, baseline: Tensor, features: [AttributionFeature],
          batchSize: Int, budgetBytes: Int) {
        guard let model = model as? any InputConvolutionModel, !features.isEmpty else { return nil }
        let (channels, height, width) = (input.shape[1], input.shape[2], input.shape[3])
        let plane = height * width
        var covered = [Bool](repeating: false, count: channels * plane)
        for feature in features {
            for channel in feature.channels {
                guard (0..<channels).contains(channel) else { return nil }
                var overlap = false
                feature.forEachRun(height: height, width: width) { run in
                    for i in run {
                        if covered[channel * plane + i] { overlap = true }
                        covered[channel * plane + i] = true
                    }
                }
                if overlap { return nil }
            }
        }
        let convolution = model.inputConvolution
        let full = GradientMode.withoutRecording { convolution.evaluationForward(input) }
        guard full.count * features.count * MemoryLayout<Float>.stride <= budgetBytes else { return nil }
        var parts: [Tensor] = []
        for start in stride(from: 0, to: features.count, by: batchSize) {
            let chunk = features[start..<min(start + batchSize, features.count)]
            let changes = input.withUnsafeBufferPointer { x in
                baseline.withUnsafeBufferPointer { b in
                    Tensor(shape: [chunk.count, channels, height, width]) { out in
                        out.initialize(repeating: 0)
                        for (item, feature) in chunk.enumerated() {
                            for channel in feature.channels {
                                let offset = channel * plane, base = item * channels * plane + offset
                                feature.forEachRun(height: height, width: width) { run in
                                    for i in run { out[base + i] = b[offset + i] - x[offset + i] }
                                }
                            }
                        }
                    }
                }
            }
            parts.append(GradientMode.withoutRecording { convolution.evaluationForward(changes, bias: false) })
        }
        self.model = model
        self.inputSize = (height, width)
        self.full = full
        self.terms = parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
    }

    /// The model's scores for `coalitions` (`true` keeps the feature from x).
    func logits(_ coalitions: [[Bool]]) -> Tensor {
        let size = full.count
        let composed = full.withUnsafeBufferPointer { f in
            terms.withUnsafeBufferPointer { t in
                Tensor(shape: [coalitions.count] + Array(full.shape.dropFirst())) { out in
                    for (item, coalition) in coalitions.enumerated() {
                        precondition(coalition.count * size == terms.count,
                                     "CoalitionEvaluator: coalition of \(coalition.count) flags for \(terms.count / size) features")
                        let y = UnsafeMutableBufferPointer(rebasing: out[item * size..<(item + 1) * size])
                        for i in 0..<size { y[i] = f[i] }
                        for (g, kept) in coalition.enumerated() where !kept {
                            let term = g * size
                            for i in 0..<size { y[i] += t[term + i] }
                        }
                    }
                }
            }
        }
        return model.inferenceForward(afterInputConvolution: composed, inputSize: inputSize)
    }
}
