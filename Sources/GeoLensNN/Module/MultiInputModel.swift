public import GeoLensTensor

/// A model with named inputs (an ONNX graph with several inputs, the built-in `siamese-unet`).
///
/// Runs, explanations and training feed every model one channel-stacked tensor
/// (`ModelInputLayout`); such a model splits it back into its named inputs in `forward(_:)`.
/// Attribution methods that work per input (DeepLIFT, per-input baselines) call
/// `forward(inputs:context:)` with the named tensors directly: raster inputs `[N, c, H, W]`,
/// scalar inputs `[N, k]`, all normalized as the card says.
public protocol MultiInputModel: SegmentationModel {
    /// The inputs in card order and where each sits in the stacked tensor.
    var inputLayout: ModelInputLayout { get }
    /// The model output for named, normalized inputs (on the tape when recording).
    func forward(inputs: [String: Tensor], context: ForwardContext) -> Tensor
}

extension ModelInputLayout {
    /// One raster input named `name` of `channels` channels (a single-input model's layout).
    public static func single(name: String, channels: Int) -> ModelInputLayout {
        ModelInputLayout([ModelInput(name: name, source: ModelInput.imagesSource, bands: Array(1...max(channels, 1)))])
    }

    /// Splits a stacked `[N, C, H, W]` tensor into named inputs: raster inputs keep their planes,
    /// scalar inputs become `[N, k]` (the mean of each constant plane). Differentiable.
    public func unpack(_ x: Tensor) -> [String: Tensor] {
        precondition(x.rank == 4 && x.shape[1] == channelCount,
                     "ModelInputLayout.unpack: input \(x.shape) does not have the \(channelCount) stacked channels of \(entries.map(\.name))")
        var named: [String: Tensor] = [:]
        for entry in entries {
            let part = entries.count == 1 ? x : x.slice(alongAxis: 1, start: entry.channels.lowerBound, end: entry.channels.upperBound)
            named[entry.name] = entry.isScalar ? part.mean(alongAxes: [2, 3]) : part
        }
        return named
    }

    /// Stacks named inputs into one `[N, C, height, width]` tensor (scalar inputs `[N, k]` broadcast
    /// to constant planes). Differentiable.
    public func pack(_ inputs: [String: Tensor], height: Int, width: Int) -> Tensor {
        let parts = entries.map { entry -> Tensor in
            guard let value = inputs[entry.name] else { preconditionFailure("ModelInputLayout.pack: no input '\(entry.name)'") }
            guard entry.isScalar else { return value }
            let n = value.shape[0], k = value.shape[1]
            return Tensor(zeros: [n, k, height, width]) + value.reshaped([n, k, 1, 1])
        }
        return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 1)
    }
}
