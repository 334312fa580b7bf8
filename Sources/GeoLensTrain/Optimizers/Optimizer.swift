public import GeoLensNN
public import GeoLensTensor

/// The optimizer section of a training configuration (`optimizer:` key).
public struct OptimizerConfiguration: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case sgd, adam, adamw }
    public var name: Kind = .adamw
    public var learningRate: Float = 1e-3
    public var momentum: Float = 0.9
    public var nesterov: Bool = false
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float = 0
    /// Clip the global gradient norm to this value (nil: no clipping).
    public var clipNorm: Float?
    /// Batches whose gradients are averaged before one update.
    public var accumulationSteps: Int = 1

    public init(name: Kind = .adamw, learningRate: Float = 1e-3) {
        self.name = name
        self.learningRate = learningRate
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, momentum, nesterov, epsilon
        case learningRate = "learning_rate", beta1, beta2, weightDecay = "weight_decay"
        case clipNorm = "clip_norm", accumulationSteps = "accumulation_steps"
    }

    public init(from decoder: Decoder) throws {
        try ConfigurationDecoding.rejectUnknownKeys(decoder, CodingKeys.self, "optimizer")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(Kind.self, forKey: .name) ?? name
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? learningRate
        momentum = try c.decodeIfPresent(Float.self, forKey: .momentum) ?? momentum
        nesterov = try c.decodeIfPresent(Bool.self, forKey: .nesterov) ?? nesterov
        beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? beta1
        beta2 = try c.decodeIfPresent(Float.self, forKey: .beta2) ?? beta2
        epsilon = try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? epsilon
        weightDecay = try c.decodeIfPresent(Float.self, forKey: .weightDecay) ?? weightDecay
        clipNorm = try c.decodeIfPresent(Float.self, forKey: .clipNorm)
        accumulationSteps = try c.decodeIfPresent(Int.self, forKey: .accumulationSteps) ?? 1
        guard learningRate > 0, accumulationSteps >= 1, weightDecay >= 0 else {
            throw TrainingError.configuration("optimizer.learning_rate must be > 0, optimizer.accumulation_steps >= 1 "
                                              + "and optimizer.weight_decay >= 0")
        }
    }
}

/// A first-order optimizer: it supplies only the per-parameter update; state (momenta) is kept
/// per parameter index and can be exported for resume.
public protocol Optimizer: AnyObject {
    /// Updates `parameters[i]` in place from `gradients[i]` with learning rate `learningRate`.
    func step(_ parameters: [Parameter], gradients: [Tensor], learningRate: Float)
    /// Optimizer state as named tensors (`<slot>.<index>`) plus the update count.
    func exportState() -> (tensors: [String: Tensor], steps: Int)
    func importState(tensors: [String: Tensor], steps: Int)
}

public enum OptimizerFactory {
    /// Builds the configured optimizer for `parameters` (named as in the state dict).
    /// AdamW applies no weight decay to biases and normalization parameters (rank <= 1).
    public static func make(_ config: OptimizerConfiguration, parameters: [(name: String, parameter: Parameter)]) -> any Optimizer {
        switch config.name {
        case .sgd:
            return SGD(momentum: config.momentum, nesterov: config.nesterov, weightDecay: config.weightDecay)
        case .adam:
            return Adam(beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon,
                        weightDecay: config.weightDecay, decoupled: false, decays: parameters.map { _ in true })
        case .adamw:
            return Adam(beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon,
                        weightDecay: config.weightDecay, decoupled: true, decays: parameters.map { $0.parameter.value.rank > 1 })
        }
    }
}

/// Scales gradients so that their global L2 norm is at most `maxNorm` (PyTorch's
/// `clip_grad_norm_`, factor `maxNorm / (norm + 1e-6)`); returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ gradients: inout [Tensor], maxNorm: Float) -> Float {
    var squares = 0.0
    for g in gradients {
        g.withUnsafeBufferPointer { for v in $0 { squares += Double(v) * Double(v) } }
    }
    let norm = Float(squares.squareRoot())
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 {
        for i in gradients.indices { gradients[i] = gradients[i].detached() * factor }
    }
    return norm
}
