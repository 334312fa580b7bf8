/// Finds the convolution pairs an executor can run as one step: Conv + BatchNormalization when
/// the convolution's output feeds only that BatchNormalization, and Conv (or Conv + BN) +
/// activation when the result feeds only that activation.
enum ONNXFusionFinder {
    static func fusions(in steps: [ONNXPlanStep], outputs: [String]) -> [ONNXFusion] {
        var readers: [String: Int] = [:]
        for step in steps { for name in step.inputs where !name.isEmpty { readers[name, default: 0] += 1 } }
        for name in outputs { readers[name, default: 0] += 1 }
        var producer: [String: ONNXPlanStep] = [:]
        for step in steps { for name in step.outputs { producer[name] = step } }

        var fusions: [ONNXFusion] = []
        // The convolution whose result a tensor is, after any folded BatchNormalization.
        var convolutionResult: [String: String] = [:]
        for step in steps {
            guard let first = step.inputs.first, readers[first] == 1 else {
                if step.opType.hasPrefix("Conv") { convolutionResult[step.outputs[0]] = step.name }
                continue
            }
            if step.opType.hasPrefix("Conv") {
                convolutionResult[step.outputs[0]] = step.name
            } else if step.opType == "BatchNormalization", let source = producer[first], source.opType.hasPrefix("Conv") {
                fusions.append(ONNXFusion(kind: .batchNormalization, convolution: source.name, follower: step.name))
                convolutionResult[step.outputs[0]] = source.name
            } else if let conv = convolutionResult[first], let activation = activation(step) {
                fusions.append(ONNXFusion(kind: .activation(activation), convolution: conv, follower: step.name))
            }
        }
        return fusions
    }

    /// The activation a step applies, when it is one a convolution can absorb.
    static func activation(_ step: ONNXPlanStep) -> ONNXFusedActivation? {
        let a = step.attributes
        switch step.opType {
        case "Relu": return .relu
        case "Sigmoid": return .sigmoid
        case "Tanh": return .tanh
        case "HardSwish": return .hardSwish
        case "LeakyRelu": return .leakyRelu(alpha: a.float("alpha") ?? 0.01)
        case "HardSigmoid": return .hardSigmoid(alpha: a.float("alpha") ?? 0.2, beta: a.float("beta") ?? 0.5)
        case "Clip":
            let low = a.float("min") ?? -.infinity, high = a.float("max") ?? .infinity
            if low == 0 && high == 6 { return .relu6 }
            if low == 0 && high == .infinity { return .relu }
            return .clip(min: low, max: high)
        default: return nil
        }
    }
}
