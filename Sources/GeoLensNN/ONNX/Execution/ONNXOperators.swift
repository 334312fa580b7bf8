import GeoLensTensor

/// The GeoLensTensor implementation of every operator that can remain in an execution plan.
/// Each function takes a planned step (attributes resolved, output shapes known) and its input
/// tensors (nil for omitted optional inputs) and returns its outputs; the tensor operations
/// record the tape, so every operator here is differentiable where ONNX defines a gradient.
enum ONNXOperators {
    /// A plan constant as a Float32 tensor (integer constants converted).
    static func tensor(_ constant: ONNXConstant) -> Tensor {
        constant.floatTensor ?? Tensor(shape: constant.shape, scalars: constant.floats)
    }

    /// Runs one step.
    static func run(_ step: ONNXPlanStep, inputs: [Tensor?]) throws -> [Tensor] {
        func x(_ i: Int) throws -> Tensor {
            guard i < inputs.count, let t = inputs[i] else {
                throw ONNXError(.invalidAttribute, "step '\(step.name)' (\(step.opType)) needs input \(i), which the graph omits")
            }
            return t
        }
        let a = step.attributes
        let outShape = step.outputShapes.first ?? []
        switch step.opType {
        case "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "Resize", "Upsample", "Pad",
             "BatchNormalization", "InstanceNormalization":
            return [try spatial(step, try x(0), inputs)]
        case "Relu": return [try x(0).relu()]
        case "LeakyRelu": return [try x(0).leakyRelu(negativeSlope: a.float("alpha") ?? 0.01)]
        case "Sigmoid": return [try x(0).sigmoid()]
        case "Tanh": return [try x(0).tanh()]
        case "HardSigmoid": return [try x(0).hardSigmoid(alpha: a.float("alpha") ?? 0.2, beta: a.float("beta") ?? 0.5)]
        case "HardSwish": return [try x(0).hardSwish()]
        case "Clip":
            let low = a.float("min") ?? -.infinity, high = a.float("max") ?? .infinity
            return [try x(0).clipped(min: low.isFinite ? low : nil, max: high.isFinite ? high : nil)]
        case "Sqrt": return [try x(0).sqrt()]
        case "Exp": return [try x(0).exp()]
        case "Erf": return [try x(0).erf()]
        case "Ceil": return [try x(0).mapScalars { $0.rounded(.up) }]
        case "Identity", "Dropout": return [try x(0)] + (step.outputs.count > 1 ? [Tensor(shape: outShape, repeating: 1)] : [])
        case "Cast":
            let to = a.int("to") ?? 1
            // Float targets (float, float16, double, bfloat16) keep the values; integer targets truncate.
            return [[1, 10, 11, 16].contains(to) ? try x(0) : try x(0).mapScalars { $0.rounded(.towardZero) }]
        case "Add", "Sub", "Mul", "Div", "Pow":
            return [try arithmetic(step.opType, try x(0), try x(1))]
        case "Softmax":
            let input = try x(0), axis = a.int("axis") ?? 1
            if a.int("coerce_to_2d") == 1 {
                let rows = Shape.count(Array(input.shape[..<axis]))
                return [input.reshaped([rows, -1]).softmax(alongAxis: 1).reshaped(input.shape)]
            }
            return [input.softmax(alongAxis: axis)]
        case "ReduceMean":
            return [try x(0).mean(alongAxes: a.ints["axes"] ?? [], keepingDimensions: true).reshaped(outShape)]
        case "MatMul":
            return [try matMul(try x(0), try x(1), outShape: outShape, step: step)]
        case "Gemm":
            return [try gemm(step, try x(0), try x(1), inputs.count > 2 ? inputs[2] : nil)]
        case let op where elementwiseOperators.contains(op):
            return try elementwise(step, inputs: inputs)
        case let op where transformerOperators.contains(op):
            return try transformer(step, inputs: inputs)
        default:
            return try layout(step, inputs: inputs.map { $0 })
        }
    }

    /// Broadcasting binary arithmetic; scalar right-hand constants use the cheaper scalar forms.
    static func arithmetic(_ op: String, _ l: Tensor, _ r: Tensor) throws -> Tensor {
        if r.count == 1, r.shape.count <= l.shape.count, !r.requiresGradient {
            let s = r.scalars[0]
            switch op {
            case "Add": return l + s
            case "Sub": return l - s
            case "Mul": return l * s
            case "Div": return l / s
            default: return s == 2 ? l.squared() : s == 1 ? l : l.pow(s)
            }
        }
        switch op {
        case "Add": return l + r
        case "Sub": return l - r
        case "Mul": return l * r
        case "Div": return l / r
        default: return (r * l.log()).exp()
        }
    }

    /// NumPy matrix product: vectors are promoted to matrices and batch axes broadcast
    /// (`[b, h, n, d] x [b, h, d, n]`, `[b, n, c] x [c, d]`, `[1, h, n, d] x [b, h, d, n]`).
    static func matMul(_ l: Tensor, _ r: Tensor, outShape: [Int], step: ONNXPlanStep) throws -> Tensor {
        let left = l.shape.count == 1 ? l.reshaped([1, l.count]) : l
        let right = r.shape.count == 1 ? r.reshaped([r.count, 1]) : r
        return left.matmul(right).reshaped(outShape)
    }

    /// `alpha * op(A) op(B) + beta * C`.
    static func gemm(_ step: ONNXPlanStep, _ a: Tensor, _ b: Tensor, _ c: Tensor?) throws -> Tensor {
        let attrs = step.attributes
        let lhs = attrs.int("transA") == 1 ? a.transposed() : a
        let rhs = attrs.int("transB") == 1 ? b.transposed() : b
        var y = lhs.matmul(rhs)
        if let alpha = attrs.float("alpha"), alpha != 1 { y = y * alpha }
        if let c {
            let beta = attrs.float("beta") ?? 1
            y = y + (beta == 1 ? c : c * beta)
        }
        return y
    }
}
