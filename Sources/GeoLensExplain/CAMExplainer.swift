public import GeoLensNN
public import GeoLensTensor

/// The class-activation-map methods (formulas of pytorch-grad-cam 1.5).
public enum CAMMethod: String, Sendable, CaseIterable {
    case gradcam
    case gradcamPlusPlus = "gradcam++"
    case hirescam
    case layercam
}

/// One CAM result: the map at input resolution (what pytorch-grad-cam returns) and the raw
/// channel weights (empty for the element-wise methods).
public struct CAMResult: Sendable {
    public let classIndex: Int
    public let layer: String
    public let map: [Float]
    public let height: Int
    public let width: Int
    public let channelWeights: [Float]
}

/// Computes CAM maps of one tile for several targets from a single forward pass.
public struct CAMExplainer {
    public let model: any SegmentationModel
    public let method: CAMMethod
    public let layer: String

    /// `layer` defaults to the model's `defaultCAMLayer`; ONNX models also take the PyTorch module
    /// path of a layer (`encoder.blocks.2.norm1`), resolved to its tensor name.
    public init(model: any SegmentationModel, method: CAMMethod, layer: String? = nil) {
        self.model = model
        self.method = method
        self.layer = model.resolvedLayer(layer ?? model.defaultCAMLayer)
    }

    /// Runs the model once on `input` [1, C, H, W] and returns the logits with the activation
    /// of `layer` kept as a tape leaf. Parameters are constants in this pass, so backward passes
    /// compute dy/dA without any weight gradients. Token layers (`[1, N, C]`, `[1, h, w, C]`) are
    /// checked to fit a grid of the input here; `explain(pass:...)` puts them on it.
    public func forward(_ input: Tensor) throws(ExplainError) -> (logits: Tensor, activation: Tensor) {
        precondition(input.rank == 4 && input.shape[0] == 1, "CAMExplainer: input of shape \(input.shape), expected [1, C, H, W]")
        let context = ForwardContext(mode: .evaluation, captures: [layer: .leaf], parameterGradients: false)
        let logits = model(input, context: context)
        guard let activation = context.captured[layer] else {
            let known = model.camLayers.prefix(12).joined(separator: ", ")
            throw ExplainError("layer '\(layer)' was not produced by the model's forward pass; CAM layers include: \(known)")
        }
        _ = try CAMFeatureGrid.channelsFirst(activation, layout: model.featureLayout(ofLayer: layer), layer: layer,
                                             height: input.shape[2], width: input.shape[3])
        return (logits, activation)
    }

    /// CAM maps for each target, sharing one forward pass (one backward pass per target).
    public func explain(_ input: Tensor, targets: [SegmentationTarget]) throws(ExplainError) -> [CAMResult] {
        explain(pass: try forward(input), targets: targets, height: input.shape[2], width: input.shape[3])
    }

    /// CAM maps for each target from a pass made by `forward(_:)` (whose logits may also have chosen
    /// the targets, so a tile needs no second forward pass), for an input of `height x width`.
    public func explain(pass: (logits: Tensor, activation: Tensor), targets: [SegmentationTarget],
                        height: Int, width: Int) -> [CAMResult] {
        let (logits, activation) = pass
        let layout = model.featureLayout(ofLayer: layer)
        // forward(_:) checked that the layer fits a grid, so these conversions cannot fail.
        func grid(_ t: Tensor) -> Tensor {
            (try? CAMFeatureGrid.channelsFirst(t, layout: layout, layer: layer, height: height, width: width)) ?? t
        }
        let features = grid(activation.detached())
        return targets.map { target in
            let grad = gradients(of: logits, seed: target.seed(shape: logits.shape), wrt: [activation])[0]
            return map(activation: features, gradient: grid(grad), target: target, height: height, width: width)
        }
    }

    /// The map of one target from the layer's activation and dy/dA (both [1, K, h, w]).
    public func map(activation: Tensor, gradient: Tensor, target: SegmentationTarget, height: Int, width: Int) -> CAMResult {
        let (k, h, w) = (activation.shape[1], activation.shape[2], activation.shape[3])
        let plane = h * w
        var cam = [Float](repeating: 0, count: plane)
        var weights: [Float] = []
        activation.withUnsafeBufferPointer { a in
            gradient.withUnsafeBufferPointer { g in
                switch method {
                case .gradcam, .gradcamPlusPlus:
                    weights = (0..<k).map { channel in
                        method == .gradcam ? Self.gradCAMWeight(g, channel * plane, plane)
                                           : Self.gradCAMPlusPlusWeight(a, g, channel * plane, plane)
                    }
                    for channel in 0..<k {
                        let wk = weights[channel], base = channel * plane
                        for i in 0..<plane { cam[i] += wk * a[base + i] }
                    }
                case .hirescam:
                    for channel in 0..<k {
                        let base = channel * plane
                        for i in 0..<plane { cam[i] += g[base + i] * a[base + i] }
                    }
                case .layercam:
                    for channel in 0..<k {
                        let base = channel * plane
                        for i in 0..<plane { cam[i] += max(g[base + i], 0) * a[base + i] }
                    }
                }
            }
        }
        var scaled = CAMMaps.minMaxScaled(CAMMaps.relu(cam))
        scaled = CAMMaps.resizeBilinear(scaled, height: h, width: w, newHeight: height, newWidth: width)
        // pytorch-grad-cam's layer aggregation: ReLU and min-max once more, even for one layer.
        scaled = CAMMaps.minMaxScaled(CAMMaps.relu(scaled))
        return CAMResult(classIndex: target.classIndex, layer: layer, map: scaled, height: height, width: width, channelWeights: weights)
    }

    /// GradCAM: mean of the gradient over the channel's plane.
    static func gradCAMWeight(_ g: UnsafeBufferPointer<Float>, _ base: Int, _ plane: Int) -> Float {
        var sum: Float = 0
        for i in base..<base + plane { sum += g[i] }
        return sum / Float(plane)
    }

    /// GradCAM++: sum of alpha * relu(g), alpha = g^2 / (2 g^2 + S_k g^3 + 1e-6), 0 where g == 0.
    static func gradCAMPlusPlusWeight(_ a: UnsafeBufferPointer<Float>, _ g: UnsafeBufferPointer<Float>, _ base: Int, _ plane: Int) -> Float {
        var activationSum: Float = 0
        for i in base..<base + plane { activationSum += a[i] }
        var weight: Float = 0
        for i in base..<base + plane {
            let gi = g[i]
            guard gi != 0 else { continue }
            let g2 = gi * gi
            let alpha = g2 / (2 * g2 + activationSum * g2 * gi + 1e-6)
            weight += alpha * max(gi, 0)
        }
        return weight
    }
}
