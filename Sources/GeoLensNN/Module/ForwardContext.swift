public import GeoLensTensor

/// What one forward pass needs besides its input: mode, randomness, and which intermediate
/// outputs to keep.
///
/// Modules call their children through `apply(_:_:_:)`, which tracks the dotted module path
/// (`encoder.layer4`) and records the outputs of the paths asked for in `captures`. A capture
/// can also make the output a new leaf of the tape, so that gradients with respect to it are
/// available even when nothing before it requires a gradient (what GradCAM needs).
///
/// With `parameterGradients` false the pass treats the model's parameters as constants: a
/// backward pass then computes gradients only for what flows to the input or to captured
/// leaves, not the weight and bias gradients of every layer (what explanations need).
public final class ForwardContext {
    public enum Mode: Sendable {
        /// Batch norm uses running statistics, dropout is off.
        case evaluation
        /// Batch norm uses batch statistics and updates its running statistics; dropout is on.
        case training
        /// Evaluation, but dropout layers stay active (MC dropout).
        case monteCarloDropout
    }

    public enum Capture: Sendable {
        /// Keep the output as computed.
        case record
        /// Keep the output as a new tape leaf and continue the forward pass from it.
        case leaf
    }

    public let mode: Mode
    public var generator: SeededGenerator
    public var captures: [String: Capture]
    /// Whether the pass records parameters on the tape (default). False runs it inside
    /// `GradientMode.withoutParameterGradients`, through `Module.callAsFunction(_:context:)`.
    public let parameterGradients: Bool
    /// Outputs of captured module paths from the last forward pass.
    public private(set) var captured: [String: Tensor] = [:]
    private var path: [String] = []

    public init(mode: Mode, seed: UInt64 = 0, captures: [String: Capture] = [:], parameterGradients: Bool = true) {
        self.mode = mode
        self.generator = SeededGenerator(seed: seed)
        self.captures = captures
        self.parameterGradients = parameterGradients
    }

    public var isTraining: Bool { mode == .training }
    public var dropoutActive: Bool { mode != .evaluation }

    /// The dotted path of the module being run.
    public var currentPath: String { path.joined(separator: ".") }

    /// Runs `child` (named `name` inside the current module) on `x`, recording its output when captured.
    public func apply(_ child: any Module, _ name: String, _ x: Tensor) -> Tensor {
        path.append(name)
        defer { path.removeLast() }
        var y = child.forward(x, context: self)
        if !captures.isEmpty { recordIfCaptured(&y, path: currentPath) }
        return y
    }

    func pushPath(_ name: String) { path.append(name) }
    func popPath() { path.removeLast() }
    func store(_ value: Tensor, at path: String) { captured[path] = value }
}

extension ForwardContext {
    /// Runs `body` with `name` appended to the module path (for modules whose forward takes more
    /// than one tensor and so cannot go through `apply`).
    public func scoped<R>(_ name: String, _ body: () throws -> R) rethrows -> R {
        pushPath(name)
        defer { popPath() }
        return try body()
    }

    /// Records `value` under `path` when that path is captured (for outputs produced outside `apply`).
    public func recordIfCaptured(_ value: inout Tensor, path: String) {
        guard let capture = captures[path] else { return }
        if capture == .leaf { value = value.detached().requiringGradient() }
        store(value, at: path)
    }
}
