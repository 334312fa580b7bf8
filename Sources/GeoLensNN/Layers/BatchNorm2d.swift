public import GeoLensTensor
import Synchronization

/// `torch.nn.BatchNorm2d`: `weight`, `bias`, and buffers `running_mean`, `running_var`,
/// `num_batches_tracked` (PyTorch's key names and update rule, momentum 0.1 by default).
public final class BatchNorm2d: Module {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    /// Stored as Float32 here; checkpoints keep it as an integer buffer.
    public let batchesTracked: Parameter
    public let epsilon: Float
    public let momentum: Float
    private let foldedIntoConvolution = Atomic<Bool>(false)

    public init(_ channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        weight = Parameter(Tensor(shape: [channels], repeating: 1))
        bias = Parameter(Tensor(zeros: [channels]))
        runningMean = Parameter(Tensor(zeros: [channels]), kind: .buffer)
        runningVariance = Parameter(Tensor(shape: [channels], repeating: 1), kind: .buffer)
        batchesTracked = Parameter(Tensor(zeros: []), kind: .buffer)
        self.epsilon = epsilon
        self.momentum = momentum
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias), ("running_mean", runningMean),
         ("running_var", runningVariance), ("num_batches_tracked", batchesTracked)]
    }

    public func forward(_ x: Tensor, context: ForwardContext) -> Tensor {
        guard context.isTraining else {
            if foldedIntoConvolution.load(ordering: .relaxed) { return x }
            return x.batchNorm(mean: runningMean.value, variance: runningVariance.value,
                               weight: weight.value, bias: bias.value, epsilon: epsilon)
        }
        let (y, mean, variance) = x.batchNormTraining(weight: weight.value, bias: bias.value, epsilon: epsilon)
        let m = momentum
        runningMean.value = runningMean.value.zipScalars(mean) { (1 - m) * $0 + m * $1 }
        runningVariance.value = runningVariance.value.zipScalars(variance) { (1 - m) * $0 + m * $1 }
        batchesTracked.value = batchesTracked.value + 1
        return y
    }

    /// Whether evaluation passes leave this batch norm to the convolution it was folded into.
    var isFolded: Bool { foldedIntoConvolution.load(ordering: .relaxed) }

    func markFolded(_ value: Bool) { foldedIntoConvolution.store(value, ordering: .relaxed) }

    /// The per-channel affine map this layer applies in evaluation mode: y = x * scale + shift.
    /// Used to fold batch norm into the preceding convolution for inference.
    public var evaluationAffine: (scale: [Float], shift: [Float]) {
        let w = weight.value.scalars, b = bias.value.scalars
        let mean = runningMean.value.scalars, variance = runningVariance.value.scalars
        var scale = [Float](repeating: 0, count: w.count), shift = scale
        for c in w.indices {
            scale[c] = w[c] / (variance[c] + epsilon).squareRoot()
            shift[c] = b[c] - mean[c] * scale[c]
        }
        return (scale, shift)
    }
}
