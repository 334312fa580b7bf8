/// Attributes of a planned step with everything constant resolved to plain numbers: node
/// attributes with ONNX defaults filled in, plus values that arrived as constant inputs
/// (Reshape `shape`, Pad `pads`, Resize `sizes`/`scales`, Slice `starts`/`ends`/`steps`,
/// Split `split`, Squeeze/Unsqueeze/ReduceMean `axes`, Clip `min`/`max`, Expand `shape`),
/// so executors need not care which operator set version the model used.
public struct ONNXResolvedAttributes: Sendable {
    public var ints: [String: [Int]] = [:]
    public var floats: [String: [Float]] = [:]
    public var strings: [String: String] = [:]

    public init() {}

    /// A single-integer attribute.
    public func int(_ key: String) -> Int? { ints[key]?.first }
    /// A single-float attribute.
    public func float(_ key: String) -> Float? { floats[key]?.first }
}

/// One operator left to run after folding, with concrete shapes.
public struct ONNXPlanStep: Sendable {
    /// The node's name in the graph.
    public let name: String
    public let opType: String
    /// Tensors the step reads: graph inputs, earlier steps' outputs, or plan constants
    /// (weights). Inputs resolved into `attributes` are not listed; `""` keeps the position of
    /// an omitted optional input.
    public let inputs: [String]
    public let outputs: [String]
    /// The concrete shape of each output.
    public let outputShapes: [[Int]]
    public let attributes: ONNXResolvedAttributes
}

/// Operators whose work can be merged into the convolution before them.
public enum ONNXFusedActivation: Sendable, Equatable {
    case relu
    /// `Clip(0, 6)`.
    case relu6
    case clip(min: Float, max: Float)
    case leakyRelu(alpha: Float)
    case sigmoid
    case hardSigmoid(alpha: Float, beta: Float)
    case hardSwish
    case tanh
}

/// A convolution and the step after it that can be merged into it.
public struct ONNXFusion: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The BatchNormalization's statistics fold into the convolution's weight and bias
        /// (see `ONNXBatchNormFolding`).
        case batchNormalization
        /// The activation applies to the convolution's output (after any folded BatchNormalization).
        case activation(ONNXFusedActivation)
    }

    public let kind: Kind
    /// The Conv (or ConvTranspose) step's name.
    public let convolution: String
    /// The step merged into it.
    public let follower: String
}

/// What running a graph on inputs of fixed shapes takes: the remaining steps in topological
/// order, the constants they read, the shape of every tensor, and the fusions found.
/// Made by `ONNXModel.plan(for:)`.
public struct ONNXExecutionPlan: Sendable {
    /// The concrete shape of each graph input the plan was made for.
    public let inputShapes: [String: [Int]]
    /// Steps in an order where every input is ready before it is read.
    public let steps: [ONNXPlanStep]
    /// Initializers and folded values read by the steps, by tensor name.
    public let constants: [String: ONNXConstant]
    /// The shape of every tensor of the graph, folded ones included.
    public let tensorShapes: [String: [Int]]
    /// Graph output names, in order.
    public let outputs: [String]
    /// Conv + BatchNormalization and Conv + activation pairs that can run as one step.
    public let fusions: [ONNXFusion]
    /// Nodes evaluated at plan time (shape subgraph, constant casts), not run per input.
    public let foldedNodeCount: Int

    /// The step producing `tensor`, if a step does.
    public func step(producing tensor: String) -> ONNXPlanStep? {
        steps.first { $0.outputs.contains(tensor) }
    }
}
