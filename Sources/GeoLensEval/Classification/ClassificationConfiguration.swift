/// Which tile task a state scores.
public enum TileTask: String, Sendable, Codable, Equatable {
    /// One class per tile (softmax scores).
    case classification
    /// A set of classes per tile (independent sigmoid scores, thresholded per class).
    case multilabel
}

/// The fixed facts of a tile-task evaluation: the task, class names, multi-label thresholds and
/// calibration bins. Shard states merge only when these agree.
public struct ClassificationConfiguration: Sendable, Codable, Equatable {
    public var task: TileTask
    /// Class names in class-index order (K = `classes.count`).
    public var classes: [String]
    /// Multi-label decision thresholds, one per class (a class is predicted when its
    /// probability is strictly greater); empty for classification.
    public var thresholds: [Double]
    /// Equal-width bins of the top-label calibration error (classification; 15 as METRICS.md).
    public var calibrationBins: Int

    public init(task: TileTask, classes: [String], thresholds: [Double] = [], calibrationBins: Int = 15) {
        precondition(!classes.isEmpty, "ClassificationConfiguration: at least one class name is needed")
        precondition(task == .classification || thresholds.count == classes.count,
                     "ClassificationConfiguration: \(thresholds.count) thresholds for \(classes.count) classes")
        precondition(calibrationBins >= 1, "ClassificationConfiguration: calibrationBins must be at least 1")
        self.task = task
        self.classes = classes
        self.thresholds = task == .multilabel ? thresholds : []
        self.calibrationBins = calibrationBins
    }

    /// Number of classes K.
    public var classCount: Int { classes.count }

    private enum CodingKeys: String, CodingKey {
        case task, classes, thresholds
        case calibrationBins = "calibration_bins"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        task = try c.decode(TileTask.self, forKey: .task)
        classes = try c.decode([String].self, forKey: .classes)
        thresholds = try c.decodeIfPresent([Double].self, forKey: .thresholds) ?? []
        calibrationBins = try c.decode(Int.self, forKey: .calibrationBins)
        guard !classes.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .classes, in: c, debugDescription: "classes is empty; list at least one class name")
        }
        guard task == .classification || thresholds.count == classes.count else {
            throw DecodingError.dataCorruptedError(forKey: .thresholds, in: c,
                debugDescription: "\(thresholds.count) thresholds for \(classes.count) classes; a multilabel state needs one per class")
        }
        guard calibrationBins >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .calibrationBins, in: c,
                                                   debugDescription: "calibration_bins is \(calibrationBins); it must be at least 1")
        }
    }

    /// The first key on which `other` differs, described with both values, or nil.
    func firstDifference(from other: ClassificationConfiguration) -> String? {
        if task != other.task { return "task \(other.task.rawValue) (expected \(task.rawValue))" }
        if classes != other.classes { return "classes \(other.classes) (expected \(classes))" }
        if thresholds != other.thresholds { return "thresholds \(other.thresholds) (expected \(thresholds))" }
        if calibrationBins != other.calibrationBins {
            return "calibration_bins \(other.calibrationBins) (expected \(calibrationBins))"
        }
        return nil
    }
}
