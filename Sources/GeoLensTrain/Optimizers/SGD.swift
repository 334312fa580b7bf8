public import GeoLensNN
public import GeoLensTensor

/// Stochastic gradient descent with momentum (optionally Nesterov) and L2 weight decay,
/// with PyTorch's update: `g += wd p; b = m b + g (b = g at first); p -= lr (nesterov ? g + m b : b)`.
public final class SGD: Optimizer {
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    private var buffers: [Int: Tensor] = [:]
    private var steps = 0

    public init(momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], gradients: [Tensor], learningRate: Float) {
        precondition(parameters.count == gradients.count, "SGD: \(parameters.count) parameters, \(gradients.count) gradients")
        for (i, parameter) in parameters.enumerated() {
            var value = parameter.value.detached()
            var buffer = buffers[i] ?? Tensor(zeros: value.shape)
            let first = buffers[i] == nil
            let (m, wd, nesterov) = (momentum, weightDecay, nesterov)
            gradients[i].withUnsafeBufferPointer { g in
                buffer.withUnsafeMutableBufferPointer { b in
                    value.withUnsafeMutableBufferPointer { p in
                        for j in 0..<p.count {
                            var d = g[j] + wd * p[j]
                            if m != 0 {
                                b[j] = first ? d : m * b[j] + d
                                d = nesterov ? d + m * b[j] : b[j]
                            }
                            p[j] -= learningRate * d
                        }
                    }
                }
            }
            if momentum != 0 { buffers[i] = buffer }
            parameter.value = value
        }
        steps += 1
    }

    public func exportState() -> (tensors: [String: Tensor], steps: Int) {
        (Dictionary(uniqueKeysWithValues: buffers.map { ("momentum_buffer.\($0.key)", $0.value) }), steps)
    }

    public func importState(tensors: [String: Tensor], steps: Int) {
        buffers = [:]
        for (name, tensor) in tensors where name.hasPrefix("momentum_buffer.") {
            if let i = Int(name.dropFirst("momentum_buffer.".count)) { buffers[i] = tensor }
        }
        self.steps = steps
    }
}
