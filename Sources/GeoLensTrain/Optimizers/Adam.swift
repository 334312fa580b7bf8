public import GeoLensNN
public import GeoLensTensor
import Foundation

/// Adam (L2 weight decay added to the gradient) and AdamW (decoupled decay `p *= 1 - lr wd`),
/// with PyTorch's bias-corrected update `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
/// `decays[i]` says whether parameter i is decayed (AdamW skips biases and normalization parameters).
public final class Adam: Optimizer {
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public let decoupled: Bool
    private let decays: [Bool]
    private var firstMoments: [Int: Tensor] = [:]
    private var secondMoments: [Int: Tensor] = [:]
    private var steps = 0

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0,
                decoupled: Bool, decays: [Bool]) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        self.decays = decays
    }

    public func step(_ parameters: [Parameter], gradients: [Tensor], learningRate: Float) {
        precondition(parameters.count == gradients.count && parameters.count == decays.count,
                     "Adam: \(parameters.count) parameters, \(gradients.count) gradients, \(decays.count) decay flags")
        steps += 1
        let t = Double(steps)
        let correction1 = Float(1 - Foundation.pow(Double(beta1), t))
        let correction2Root = Float((1 - Foundation.pow(Double(beta2), t)).squareRoot())
        let stepSize = learningRate / correction1
        for (i, parameter) in parameters.enumerated() {
            var value = parameter.value.detached()
            var m = firstMoments[i] ?? Tensor(zeros: value.shape)
            var v = secondMoments[i] ?? Tensor(zeros: value.shape)
            let wd = decays[i] ? weightDecay : 0
            let (b1, b2, eps, decoupled) = (beta1, beta2, epsilon, decoupled)
            gradients[i].withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        value.withUnsafeMutableBufferPointer { p in
                            for j in 0..<p.count {
                                var d = g[j]
                                if decoupled { p[j] *= 1 - learningRate * wd } else { d += wd * p[j] }
                                m[j] = b1 * m[j] + (1 - b1) * d
                                v[j] = b2 * v[j] + (1 - b2) * d * d
                                p[j] -= stepSize * m[j] / (v[j].squareRoot() / correction2Root + eps)
                            }
                        }
                    }
                }
            }
            firstMoments[i] = m
            secondMoments[i] = v
            parameter.value = value
        }
    }

    public func exportState() -> (tensors: [String: Tensor], steps: Int) {
        var tensors: [String: Tensor] = [:]
        for (i, m) in firstMoments { tensors["exp_avg.\(i)"] = m }
        for (i, v) in secondMoments { tensors["exp_avg_sq.\(i)"] = v }
        return (tensors, steps)
    }

    public func importState(tensors: [String: Tensor], steps: Int) {
        firstMoments = [:]
        secondMoments = [:]
        for (name, tensor) in tensors {
            let parts = name.split(separator: ".")
            guard parts.count == 2, let i = Int(parts[1]) else { continue }
            if parts[0] == "exp_avg" { firstMoments[i] = tensor } else if parts[0] == "exp_avg_sq" { secondMoments[i] = tensor }
        }
        self.steps = steps
    }
}
