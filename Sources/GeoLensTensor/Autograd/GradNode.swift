/// One recorded step of the reverse-mode tape.
///
/// A node knows the nodes of the op's inputs that need gradients and a pullback
/// that maps the gradient of the op's output to gradients of its inputs. Leaf
/// nodes (parameters, watched inputs) have no pullback; parameter leaves are marked so
/// that `GradientMode.withoutParameterGradients` can treat them as constants. Nodes are
/// immutable once made, so a graph may be read from several threads.
public final class GradNode: @unchecked Sendable {
    /// Maps the output gradient to one gradient per op input (nil where `needs` is false).
    public typealias Pullback = @Sendable (_ outputGradient: Tensor, _ needs: [Bool]) -> [Tensor?]

    /// Name of the op that made the value, for error messages and debugging.
    public let op: String
    /// Shape of the value this node stands for.
    public let shape: [Int]
    /// The input nodes, aligned with the op's inputs; nil for inputs that need no gradient.
    let inputs: [GradNode?]
    let pullback: Pullback?
    /// True for the leaf of a model parameter (`Tensor.parameterLeaf()`).
    public let isParameter: Bool

    init(op: String, shape: [Int], inputs: [GradNode?], pullback: Pullback?, isParameter: Bool = false) {
        self.op = op
        self.shape = shape
        self.inputs = inputs
        self.pullback = pullback
        self.isParameter = isParameter
    }

    var isLeaf: Bool { pullback == nil }
}

/// Whether ops record the tape. Recording is on by default and can be switched off for a scope,
/// e.g. for inference with parameters that require gradients, or while pullbacks run.
public enum GradientMode {
    @TaskLocal static var isRecording = true
    @TaskLocal static var recordsParameters = true
    @TaskLocal static var rescaleEpsilon: Float? = nil

    /// Runs `body` with recording off: results carry no tape.
    public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        try $isRecording.withValue(false, operation: body)
    }

    /// Runs `body` with parameter leaves (`Tensor.parameterLeaf()`) treated as constants: ops
    /// record only the inputs that are not parameters, so a backward pass computes gradients
    /// for watched inputs and intermediate values but none for the parameters (convolutions skip
    /// their weight-gradient GEMM). What explanations need; gradients that reach the watched
    /// tensors are bitwise the same as with the full tape.
    public static func withoutParameterGradients<R>(_ body: () throws -> R) rethrows -> R {
        try $recordsParameters.withValue(false, operation: body)
    }

    /// Runs `body` with DeepLIFT's rescale rule on the tape (Shrikumar et al. 2017, as captum's
    /// `DeepLift`): the batch of every recorded op is `[inputs; references]`, the first half the
    /// inputs and the second half their references in the same order. ReLU, leaky ReLU, sigmoid
    /// and tanh then record the multiplier (f(x) - f(x0)) / (x - x0) instead of f'(x), for both
    /// halves of the pair, and max pooling records captum's max-pool rule; where |x - x0| <
    /// `epsilon` they keep the ordinary gradient. Linear ops and the other nonlinearities keep
    /// their gradients. Only what is recorded inside `body` is affected.
    public static func withRescaleRule<R>(epsilon: Float = 1e-10, _ body: () throws -> R) rethrows -> R {
        try $rescaleEpsilon.withValue(epsilon, operation: body)
    }

    /// The rescale rule's epsilon inside `withRescaleRule`, nil elsewhere.
    public static var rescaleRuleEpsilon: Float? { rescaleEpsilon }

    /// True when ops currently record the tape.
    public static var isEnabled: Bool { isRecording }

    /// False inside `withoutParameterGradients`.
    public static var parameterGradientsEnabled: Bool { recordsParameters }
}

/// Records ops on the tape.
public enum Tape {
    /// Attaches a node to `output` when recording is on and any input needs a gradient.
    /// `pullback` receives the output gradient and which inputs need gradients.
    /// Inside `GradientMode.withoutParameterGradients`, parameter leaves count as constants.
    @inlinable
    public static func record(_ output: Tensor, op: String, inputs: [Tensor], pullback: @escaping GradNode.Pullback) -> Tensor {
        guard inputs.contains(where: { $0.node != nil }), GradientMode.isEnabled else { return output }
        guard GradientMode.parameterGradientsEnabled else {
            let nodes = inputs.map { $0.node?.isParameter == true ? nil : $0.node }
            guard nodes.contains(where: { $0 != nil }) else { return output }
            return attach(output, op: op, inputs: nodes, pullback: pullback)
        }
        return attach(output, op: op, inputs: inputs.map(\.node), pullback: pullback)
    }

    /// Unary form of `record(_:op:inputs:pullback:)`.
    @inlinable
    public static func record(_ output: Tensor, op: String, _ input: Tensor, pullback: @escaping @Sendable (Tensor) -> Tensor) -> Tensor {
        guard let node = input.node, GradientMode.isEnabled else { return output }
        if node.isParameter && !GradientMode.parameterGradientsEnabled { return output }
        return attach(output, op: op, inputs: [node]) { g, _ in [pullback(g)] }
    }

    @usableFromInline
    static func attach(_ output: Tensor, op: String, inputs: [GradNode?], pullback: @escaping GradNode.Pullback) -> Tensor {
        var result = output
        result.node = GradNode(op: op, shape: output.shape, inputs: inputs, pullback: pullback)
        return result
    }
}

extension Tensor {
    /// True when this value is on the tape (a watched leaf or the result of an op on one).
    public var requiresGradient: Bool { node != nil }

    /// The same values as a new leaf of the tape: gradients can be taken with respect to it.
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, storage: storage, node: GradNode(op: "leaf", shape: shape, inputs: [], pullback: nil))
    }

    /// The same values as a new leaf marked as a model parameter: like `requiringGradient()`,
    /// except that inside `GradientMode.withoutParameterGradients` ops treat it as a constant.
    public func parameterLeaf() -> Tensor {
        Tensor(shape: shape, storage: storage, node: GradNode(op: "parameter", shape: shape, inputs: [], pullback: nil, isParameter: true))
    }

    /// The same values, off the tape.
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// The tape node's name, for debugging ("leaf" for watched tensors, "parameter" for
    /// parameter leaves, nil off the tape).
    public var gradientOp: String? { node?.op }
}
