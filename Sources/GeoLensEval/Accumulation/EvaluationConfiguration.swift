/// What the model's output tensor holds.
public enum ModelOutputKind: String, Sendable, Codable, Equatable {
    /// Raw scores; a softmax over the class axis is applied per pixel.
    case logits
    /// Class probabilities, used as they are.
    case probabilities
}

/// The fixed facts of an evaluation: class names, the ignored label, the output kind and the
/// number of calibration bins. Shard states merge only when these agree.
public struct EvaluationConfiguration: Sendable, Codable, Equatable {
    /// Class names in class-index order (C = `classes.count`).
    public var classes: [String]
    /// Label value excluded from every metric (counted in `ignored_pixels`), if any.
    public var ignoreIndex: Int?
    /// Whether the model emits logits or probabilities.
    public var output: ModelOutputKind
    /// Equal-width calibration bins (METRICS.md: 15).
    public var calibrationBins: Int

    public init(classes: [String], ignoreIndex: Int? = nil, output: ModelOutputKind = .logits, calibrationBins: Int = 15) {
        precondition(!classes.isEmpty, "EvaluationConfiguration: at least one class name is needed")
        precondition(calibrationBins >= 1, "EvaluationConfiguration: calibrationBins must be at least 1, got \(calibrationBins)")
        self.classes = classes
        self.ignoreIndex = ignoreIndex
        self.output = output
        self.calibrationBins = calibrationBins
    }

    /// Number of classes C.
    public var classCount: Int { classes.count }

    private enum CodingKeys: String, CodingKey {
        case classes
        case ignoreIndex = "ignore_index"
        case output
        case calibrationBins = "calibration_bins"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        classes = try c.decode([String].self, forKey: .classes)
        ignoreIndex = try c.decodeIfPresent(Int.self, forKey: .ignoreIndex)
        output = try c.decode(ModelOutputKind.self, forKey: .output)
        calibrationBins = try c.decode(Int.self, forKey: .calibrationBins)
        guard !classes.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .classes, in: c, debugDescription: "classes is empty; list at least one class name")
        }
        guard calibrationBins >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .calibrationBins, in: c,
                                                   debugDescription: "calibration_bins is \(calibrationBins); it must be at least 1")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(classes, forKey: .classes)
        try c.encode(ignoreIndex, forKey: .ignoreIndex)
        try c.encode(output, forKey: .output)
        try c.encode(calibrationBins, forKey: .calibrationBins)
    }
}
