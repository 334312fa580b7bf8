public import GeoLensTensor

/// A learnable tensor or a buffer (running statistics) owned by a module.
///
/// Parameters are reference objects so that loaders and optimizers can replace their values in
/// place while the module tree keeps pointing at them. A trainable parameter's value is a leaf of
/// the tape (`parameterLeaf()`), so `gradients(of:wrt:)` can be taken with respect to it, except
/// in passes that treat parameters as constants (`ForwardContext.parameterGradients`).
public final class Parameter: @unchecked Sendable {
    /// Parameters receive gradients and optimizer updates; buffers (running mean/variance) do not.
    public enum Kind: String, Sendable { case parameter, buffer }

    public let kind: Kind
    /// The current value. Assigning keeps the kind; trainable values are re-attached to a fresh leaf.
    public var value: Tensor {
        didSet {
            precondition(value.shape == oldValue.shape,
                         "Parameter: new value of shape \(value.shape) replaces shape \(oldValue.shape)")
            if kind == .parameter && !value.requiresGradient { value = value.parameterLeaf() }
        }
    }

    public init(_ value: Tensor, kind: Kind = .parameter) {
        self.kind = kind
        self.value = kind == .parameter ? value.parameterLeaf() : value.detached()
    }

    public var shape: [Int] { value.shape }
}

/// A node of a model: a layer or a block of layers, named like the PyTorch module it mirrors.
///
/// Parameter names are the dotted paths PyTorch's `state_dict()` uses
/// (`encoder.layer1.0.conv1.weight`), built from `children` and `parameters`.
/// Forward passes take a `ForwardContext`, which carries train/eval mode, the dropout
/// generator, and the capture of intermediate outputs by module path (for GradCAM).
public protocol Module: AnyObject, Sendable {
    /// Computes the module's output. Children are called through `context.apply(_:_:_:)`
    /// so that their outputs can be captured by path.
    func forward(_ x: Tensor, context: ForwardContext) -> Tensor

    /// Direct sub-modules with their attribute names, in registration order.
    var children: [(name: String, module: any Module)] { get }

    /// The module's own parameters and buffers (not its children's), in registration order.
    var parameters: [(name: String, parameter: Parameter)] { get }
}

extension Module {
    public var children: [(name: String, module: any Module)] { [] }
    public var parameters: [(name: String, parameter: Parameter)] { [] }

    /// Every parameter and buffer of the tree, by dotted name, in PyTorch `state_dict()` order.
    public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
        var result = parameters.map { (prefix + $0.name, $0.parameter) }
        for (name, child) in children {
            result += child.namedParameters(prefix: prefix + name + ".")
        }
        return result
    }

    /// Every module of the tree with its dotted path ("" for the root), parents before children.
    public func namedModules(prefix: String = "") -> [(path: String, module: any Module)] {
        var result: [(path: String, module: any Module)] = [(prefix, self)]
        for (name, child) in children {
            result += child.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
        return result
    }

    /// Trainable parameters only (what an optimizer updates).
    public var trainableParameters: [(name: String, parameter: Parameter)] {
        namedParameters().filter { $0.parameter.kind == .parameter }
    }

    /// Number of scalars in trainable parameters.
    public var parameterCount: Int {
        trainableParameters.reduce(0) { $0 + $1.parameter.value.count }
    }

    /// Runs the module in evaluation mode with no tape recording (plain inference).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        GradientMode.withoutRecording { inferenceForward(x, context: ForwardContext(mode: .evaluation)) }
    }

    /// `forward`, with a batch that needs no tape split into whole images across threads
    /// (`Parallel.sliceBatch`): with evaluation mode, no captures and recording off, equal
    /// slices of the batch run at once, each with single-threaded kernels, and the outputs are
    /// concatenated. Each worker runs its slice one image at a time, so only one image's
    /// activations per worker are alive at once. Kernels never divide work by thread count or
    /// batch, so the result is bit-identical to one `forward` of the whole batch. Other calls
    /// run `forward` as it is.
    public func inferenceForward(_ x: Tensor, context: ForwardContext) -> Tensor {
        guard context.mode == .evaluation, context.captures.isEmpty, !GradientMode.isEnabled, x.rank >= 1,
              let parts = Parallel.sliceBatch(x.shape[0], { range in
                  GradientMode.withoutRecording {
                      let images = range.map { i in
                          forward(x.slice(alongAxis: 0, start: i, end: i + 1), context: ForwardContext(mode: .evaluation))
                      }
                      return images.count == 1 ? images[0] : Tensor.concatenate(images, alongAxis: 0)
                  }
              })
        else { return forward(x, context: context) }
        return Tensor.concatenate(parts, alongAxis: 0)
    }

    /// Runs the module with an explicit context (training, MC dropout, captures, parameters as
    /// constants).
    public func callAsFunction(_ x: Tensor, context: ForwardContext) -> Tensor {
        guard context.parameterGradients else {
            return GradientMode.withoutParameterGradients { forward(x, context: context) }
        }
        return forward(x, context: context)
    }
}
