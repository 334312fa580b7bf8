import Foundation
import GeoLensTensor

/// Elementwise operators beyond the arithmetic of convolutional graphs: comparisons and logic
/// (results 0 or 1, off the tape), `Mod`, `Max`/`Min`, `Where` and a few unary functions.
extension ONNXOperators {
    /// Operator types run by `elementwise(_:inputs:)`.
    static let elementwiseOperators: Set<String> = [
        "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Not",
        "Mod", "Max", "Min", "Where", "Neg", "Abs", "Reciprocal", "Log",
    ]

    static func elementwise(_ step: ONNXPlanStep, inputs: [Tensor?]) throws -> [Tensor] {
        let outShape = step.outputShapes.first ?? []
        func x(_ i: Int) throws -> Tensor {
            guard i < inputs.count, let t = inputs[i] else {
                throw ONNXError(.invalidAttribute, "step '\(step.name)' (\(step.opType)) needs input \(i), which the graph omits")
            }
            return t
        }
        switch step.opType {
        case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor":
            let l = try x(0), r = try x(1), op = step.opType
            return [GradientMode.withoutRecording {
                l.detached().broadcast(to: outShape).zipScalars(r.detached().broadcast(to: outShape)) { compare(op, $0, $1) ? 1 : 0 }
            }]
        case "Not":
            let value = try x(0).detached()
            return [GradientMode.withoutRecording { value.mapScalars { $0 == 0 ? 1 : 0 } }]
        case "Mod":
            // The remainder's gradient is 1 with respect to the dividend (divisors are integer constants in practice).
            let l = try x(0), r = try x(1).detached().broadcast(to: outShape)
            let isFmod = step.attributes.int("fmod") == 1
            let quotients = GradientMode.withoutRecording {
                l.detached().broadcast(to: outShape).zipScalars(r) { a, b in isFmod ? (a / b).rounded(.towardZero) : (a / b).rounded(.down) }
            }
            return [l - quotients * r]
        case "Max", "Min":
            let operands = try inputs.indices.map(x)
            let isMax = step.opType == "Max"
            return [operands.dropFirst().reduce(operands[0]) { best, next in
                let chosen = GradientMode.withoutRecording {
                    best.detached().broadcast(to: Shape.broadcast(best.shape, next.shape, op: step.opType))
                        .zipScalars(next.detached().broadcast(to: Shape.broadcast(best.shape, next.shape, op: step.opType))) {
                            (isMax ? $0 >= $1 : $0 <= $1) ? 1 : 0
                        }
                }
                return best.selecting(where: chosen, otherwise: next)
            }]
        case "Where":
            return [try x(1).selecting(where: try x(0).detached(), otherwise: try x(2))]
        case "Neg": return [-(try x(0))]
        case "Abs": return [try x(0).abs()]
        case "Reciprocal": return [try x(0).pow(-1)]
        default: // Log
            return [try x(0).log()]
        }
    }

    /// The truth of a comparison or logical operator on two elements.
    static func compare(_ op: String, _ a: Float, _ b: Float) -> Bool {
        switch op {
        case "Equal": return a == b
        case "Less": return a < b
        case "Greater": return a > b
        case "LessOrEqual": return a <= b
        case "GreaterOrEqual": return a >= b
        case "And": return a != 0 && b != 0
        case "Or": return a != 0 || b != 0
        default: return (a != 0) != (b != 0)
        }
    }
}
