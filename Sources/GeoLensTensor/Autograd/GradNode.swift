/// One recorded step of the reverse-mode tape.
///
/// A node knows the nodes of the op's inputs that need gradients and a pullback
/// that maps the gradient of the op's output to gradients of its inputs. Leaf
/// nodes (parameters, watched inputs) have no pullback. Nodes are immutable once
/// made, so a graph may be read from several threads.
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

    init(op: String, shape: [Int], inputs: [GradNode?], pullback: Pullback?) {
        self.op = op
        self.shape = shape
        self.inputs = inputs
        self.pullback = pullback
    }

    var isLeaf: Bool { pullback == nil }
}

/// Whether ops record the tape. Recording is on by default and can be switched off for a scope,
/// e.g. for inference with parameters that require gradients, or while pullbacks run.
public enum GradientMode {
    @TaskLocal static var isRecording = true

    /// Runs `body` with recording off: results carry no tape.
    public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
        try $isRecording.withValue(false, operation: body)
    }

    /// True when ops currently record the tape.
    public static var isEnabled: Bool { isRecording }
}

/// Records ops on the tape.
public enum Tape {
    /// Attaches a node to `output` when recording is on and any input needs a gradient.
    /// `pullback` receives the output gradient and which inputs need gradients.
    @inlinable
    public static func record(_ output: Tensor, op: String, inputs: [Tensor], pullback: @escaping GradNode.Pullback) -> Tensor {
        guard inputs.contains(where: { $0.node != nil }), GradientMode.isEnabled else { return output }
        return attach(output, op: op, inputs: inputs.map(\.node), pullback: pullback)
    }

    /// Unary form of `record(_:op:inputs:pullback:)`.
    @inlinable
    public static func record(_ output: Tensor, op: String, _ input: Tensor, pullback: @escaping @Sendable (Tensor) -> Tensor) -> Tensor {
        guard input.node != nil, GradientMode.isEnabled else { return output }
        return attach(output, op: op, inputs: [input.node]) { g, _ in [pullback(g)] }
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

    /// The same values, off the tape.
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// The tape node's name, for debugging ("leaf" for watched tensors, nil off the tape).
    public var gradientOp: String? { node?.op }
}
