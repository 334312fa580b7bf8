/// What a checkpoint predicts (model card key `task`), which fixes the shape of its output and
/// how scores become probabilities.
public enum ModelTask: String, Codable, Sendable, CaseIterable {
    /// One class per pixel: output `[N, K, H, W]`, softmax over the class axis (the default).
    case segmentation
    /// One class per tile: output `[N, K]`, softmax over the classes.
    case classification
    /// Any subset of the classes per tile: output `[N, K]`, an independent sigmoid per class,
    /// and a class is predicted when its probability is above the card's `threshold`.
    case multilabel

    /// True for the tasks that score whole tiles (`[N, K]` outputs, labels per tile).
    public var scoresTiles: Bool { self != .segmentation }

    /// The model output layout this task needs.
    public var outputLayout: ModelOutputLayout { scoresTiles ? .tileScores : .pixelScores }
}

/// The layout of a model's class scores.
public enum ModelOutputLayout: String, Sendable {
    /// `[N, K, H, W]`: a score per class and pixel (segmentation networks).
    case pixelScores
    /// `[N, K]`: a score per class and image (classifiers).
    case tileScores

    /// The shape in words, for error messages.
    public var shapeDescription: String { self == .pixelScores ? "N x classes x H x W" : "N x classes" }
}

/// The decision threshold of a multi-label card (`threshold`): one probability for every class
/// or one per class. A class is predicted when its probability is strictly greater than its
/// threshold (torchmetrics' `preds > threshold`).
public enum LabelThreshold: Codable, Sendable, Equatable {
    case uniform(Double)
    case perClass([Double])

    /// torchmetrics' default.
    public static let standard = LabelThreshold.uniform(0.5)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let value = try? c.decode(Double.self) {
            self = .uniform(value)
        } else if let values = try? c.decode([Double].self) {
            self = .perClass(values)
        } else {
            throw DecodingError.typeMismatch(Double.self, .init(
                codingPath: decoder.codingPath,
                debugDescription: "threshold must be a number or a list with one number per class"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .uniform(let value): try c.encode(value)
        case .perClass(let values): try c.encode(values)
        }
    }

    /// The threshold of class `index`.
    public func value(forClass index: Int) -> Double {
        switch self {
        case .uniform(let value): value
        case .perClass(let values): values[index]
        }
    }

    /// The thresholds of `count` classes.
    public func values(classCount count: Int) -> [Double] {
        (0..<count).map(value(forClass:))
    }

    /// The number of per-class values, nil for a uniform threshold.
    public var perClassCount: Int? {
        if case .perClass(let values) = self { return values.count }
        return nil
    }

    var all: [Double] {
        switch self {
        case .uniform(let value): [value]
        case .perClass(let values): values
        }
    }
}
