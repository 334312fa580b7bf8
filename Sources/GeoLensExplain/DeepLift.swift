public import GeoLensNN
public import GeoLensTensor

/// DeepLIFT with the rescale rule (Shrikumar et al. 2017) and DeepSHAP, as captum's `DeepLift`
/// and `DeepLiftShap` compute them.
///
/// For one input x and reference x0 the model runs once on the batch `[x; x0]` with the tape in
/// `GradientMode.withRescaleRule`: every ReLU, leaky ReLU, sigmoid and tanh back-propagates the
/// multiplier (f(x) - f(x0)) / (x - x0) instead of its derivative, max pooling captum's max-pool
/// rule, linear ops (convolutions, batch norm in evaluation, sums, concatenation, resizing,
/// average pooling) their gradients. The attribution is (x - x0) times the multipliers that
/// reach the input, and its sum equals f(x) - f(x0) when every nonlinearity on the way is one
/// of those (the summation-to-delta property; SiLU, GELU and the other activations captum does
/// not list keep their gradients, so their models leave a residual). DeepSHAP averages DeepLIFT
/// over a set of references: phi = mean_j DeepLIFT(x, b_j), so that sum(phi) = f(x) - E_j f(b_j).
///
/// The core takes one tensor per model input (the same batch layout for each) and returns one
/// attribution per input, so models with several named inputs are explained the same way.
public enum DeepLift {
    /// captum's `eps`: below this |x - x0| a nonlinearity keeps its ordinary gradient.
    public static let defaultEpsilon: Float = 1e-10

    /// Runs the model on one batch per input (each `[N, ...]`, the N items aligned across inputs)
    /// and returns its scores, `[N, K, H, W]` or `[N, K]`, on the tape.
    public typealias Forward = (_ inputs: [Tensor]) throws -> Tensor

    /// DeepLIFT of every target against each reference of `references`, averaged over the
    /// references (DeepSHAP; one reference is DeepLIFT itself).
    /// - Parameters:
    ///   - inputs: one tensor per model input, each `[1, ...]`.
    ///   - references: the references, each one tensor per input shaped like that input.
    ///   - batchSize: items per forward pass; the references run in chunks of `batchSize / 2`
    ///     pairs (at least one).
    public static func attribute(forward: Forward, inputs: [Tensor], references: [[Tensor]],
                                 targets: [SegmentationTarget], batchSize: Int = 8,
                                 epsilon: Float = defaultEpsilon) rethrows -> [DeepLiftResult] {
        precondition(!inputs.isEmpty && inputs.allSatisfy { $0.shape.first == 1 },
                     "DeepLift: inputs must be [1, ...] tensors, got \(inputs.map(\.shape))")
        precondition(!references.isEmpty, "DeepLift: no reference")
        for reference in references {
            precondition(reference.map(\.shape) == inputs.map(\.shape),
                         "DeepLift: reference of shapes \(reference.map(\.shape)) for inputs of shapes \(inputs.map(\.shape))")
        }
        let sizes = inputs.map(\.count)
        let values = inputs.map(\.scalars)
        let pairs = max(1, batchSize / 2)
        var sums = targets.map { _ in sizes.map { [Double](repeating: 0, count: $0) } }
        var deltas = targets.map { _ in [Double]() }
        var referenceValues = targets.map { _ in [Double]() }
        var fullValues = [Double](repeating: 0, count: targets.count)
        for start in stride(from: 0, to: references.count, by: pairs) {
            let chunk = Array(references[start..<min(start + pairs, references.count)])
            let k = chunk.count
            // One leaf per input: k copies of the input, then the k references.
            let differences: [[[Float]]] = inputs.indices.map { i in
                chunk.map { reference in
                    let b = reference[i].scalars
                    return (0..<sizes[i]).map { values[i][$0] - b[$0] }
                }
            }
            let leaves: [Tensor] = inputs.indices.map { i in
                let itemShape = Array(inputs[i].shape.dropFirst())
                return Tensor(shape: [2 * k] + itemShape) { out in
                    let n = sizes[i]
                    for j in 0..<k {
                        for e in 0..<n { out[j * n + e] = values[i][e] }
                        chunk[j][i].withUnsafeBufferPointer { b in
                            for e in 0..<n { out[(k + j) * n + e] = b[e] }
                        }
                    }
                }.requiringGradient()
            }
            let scores = try GradientMode.withRescaleRule(epsilon: epsilon) { try forward(leaves) }
            precondition(scores.shape.first == 2 * k,
                         "DeepLift: the model returned shape \(scores.shape) for a batch of \(2 * k) items")
            for (t, target) in targets.enumerated() {
                let y = target.values(of: scores.detached())
                fullValues[t] = y[0]
                let gradients = GeoLensTensor.gradients(of: scores, seed: target.seed(shape: scores.shape), wrt: leaves)
                var pairTotals = [Double](repeating: 0, count: k)
                for i in inputs.indices {
                    let n = sizes[i]
                    gradients[i].withUnsafeBufferPointer { g in
                        sums[t][i].withUnsafeMutableBufferPointer { s in
                            for j in 0..<k {
                                let d = differences[i][j]
                                var total = 0.0
                                for e in 0..<n {
                                    let v = Double(d[e] * g[j * n + e])
                                    s[e] += v
                                    total += v
                                }
                                pairTotals[j] += total
                            }
                        }
                    }
                }
                for j in 0..<k {
                    referenceValues[t].append(y[k + j])
                    deltas[t].append(pairTotals[j] - (y[j] - y[k + j]))
                }
            }
        }
        let count = Double(references.count)
        return targets.indices.map { t in
            DeepLiftResult(classIndex: targets[t].classIndex,
                           attributions: inputs.indices.map { i in
                               Tensor(shape: inputs[i].shape, scalars: sums[t][i].map { Float($0 / count) })
                           },
                           fullValue: fullValues[t],
                           baseValue: referenceValues[t].reduce(0, +) / count,
                           referenceValues: referenceValues[t], deltas: deltas[t])
        }
    }

    /// DeepLIFT of a single-input model at `input` [1, C, H, W] against `baseline` (same shape).
    public static func explain(model: any SegmentationModel, input: Tensor, baseline: Tensor,
                               targets: [SegmentationTarget], batchSize: Int = 8,
                               epsilon: Float = defaultEpsilon) -> [PixelAttribution] {
        attribute(model: model, input: input, references: [baseline], targets: targets, batchSize: batchSize,
                  epsilon: epsilon).map { $0.pixelAttribution(input: 0) }
    }

    /// `attribute(forward:...)` for a single-input segmentation model or classifier at `input`
    /// [1, C, H, W], averaged over `references` (each shaped like the input), in evaluation mode
    /// with the parameters as constants.
    public static func attribute(model: any SegmentationModel, input: Tensor, references: [Tensor],
                                 targets: [SegmentationTarget], batchSize: Int = 8,
                                 epsilon: Float = defaultEpsilon) -> [DeepLiftResult] {
        precondition(input.rank == 4 && input.shape[0] == 1, "DeepLift: input must be [1, C, H, W], got \(input.shape)")
        return attribute(forward: { batch in model(batch[0], context: ForwardContext(mode: .evaluation, parameterGradients: false)) },
                         inputs: [input], references: references.map { [$0] }, targets: targets,
                         batchSize: batchSize, epsilon: epsilon)
    }
}

/// DeepSHAP (captum's `DeepLiftShap`): DeepLIFT averaged over a distribution of references, an
/// approximation of SHAP values whose sum is f(x) - E[f(b)].
public enum DeepLiftShap {
    /// DeepSHAP of a single-input model at `input` [1, C, H, W] over `baselines` (each shaped
    /// like the input; captum asks for more than one, one gives DeepLIFT).
    public static func explain(model: any SegmentationModel, input: Tensor, baselines: [Tensor],
                               targets: [SegmentationTarget], batchSize: Int = 8,
                               epsilon: Float = DeepLift.defaultEpsilon) -> [PixelAttribution] {
        precondition(!baselines.isEmpty && baselines.allSatisfy { $0.shape == input.shape },
                     "DeepLiftShap: baselines must share the input shape \(input.shape)")
        return DeepLift.attribute(model: model, input: input, references: baselines, targets: targets,
                                  batchSize: batchSize, epsilon: epsilon).map { $0.pixelAttribution(input: 0) }
    }
}

/// The DeepLIFT (or DeepSHAP) attribution of one target: one tensor per model input and the
/// summation-to-delta bookkeeping.
public struct DeepLiftResult: Sendable {
    public let classIndex: Int
    /// One attribution per model input, shaped like that input (`[1, ...]`), averaged over the references.
    public let attributions: [Tensor]
    /// The target's value at the input, f(x).
    public let fullValue: Double
    /// The mean of the target's value over the references, E[f(b)] (f(x0) for DeepLIFT).
    public let baseValue: Double
    /// f(b_j) of each reference.
    public let referenceValues: [Double]
    /// captum's convergence delta of each reference: the sum of that reference's attributions over
    /// all inputs minus (f(x) - f(b_j)).
    public let deltas: [Double]

    /// sum(phi) - (f(x) - E[f(b)]): the mean of `deltas`.
    public var completenessResidual: Double {
        attributions.reduce(0.0) { total, a in a.scalars.reduce(total) { $0 + Double($1) } } - (fullValue - baseValue)
    }

    /// The largest |delta| over the references.
    public var maxAbsDelta: Double { deltas.map(abs).max() ?? 0 }

    /// The attribution of input `index`, a `[1, C, H, W]` tensor, as a pixel attribution.
    public func pixelAttribution(input index: Int) -> PixelAttribution {
        let a = attributions[index]
        precondition(a.rank == 4, "DeepLiftResult: input \(index) has shape \(a.shape), not [1, C, H, W]")
        return PixelAttribution(classIndex: classIndex, values: a.scalars, channels: a.shape[1], height: a.shape[2],
                                width: a.shape[3], baseValue: baseValue, fullValue: fullValue, standardError: nil)
    }
}
