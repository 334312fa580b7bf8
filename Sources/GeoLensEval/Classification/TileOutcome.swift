/// How right a tile-task prediction is, and the order reports and galleries list tiles in:
/// labelled mistakes first. For classification, wrong tiles by falling confidence (the confident
/// mistakes first), then right ones by rising confidence (the least sure first); for multi-label,
/// tiles by falling number of wrong labels (the symmetric difference of the predicted and
/// reference sets), right ones after. Unlabelled tiles come last. Ties go by tile id.
public struct TileOutcome: Sendable, Equatable {
    public var task: TileTask
    /// Predicted classes, ascending: the top-1 class, or the multi-label set above the thresholds.
    public var predicted: [Int]
    /// Reference classes, ascending; nil for an unlabelled tile.
    public var reference: [Int]?
    /// The top probability.
    public var confidence: Double

    public init(task: TileTask, predicted: [Int], reference: [Int]?, confidence: Double) {
        self.task = task
        self.predicted = predicted.sorted()
        self.reference = reference?.sorted()
        self.confidence = confidence
    }

    /// The outcome of a scored tile under `configuration` (its task and multi-label thresholds).
    public init(_ scores: TileScores, configuration: ClassificationConfiguration) {
        let top = scores.predictedClass
        let predicted = configuration.task == .classification ? [top]
            : Array(scores.predictedClasses(thresholds: configuration.thresholds))
        self.init(task: configuration.task, predicted: predicted, reference: scores.target?.indices,
                  confidence: Double(scores.probabilities[top]))
    }

    /// Multi-label: labels predicted but not in the reference plus those missed; classification:
    /// 1 for a wrong top-1 class. Nil when unlabelled.
    public var wrongLabels: Int? {
        guard let reference else { return nil }
        switch task {
        case .classification: return reference.first == predicted.first ? 0 : 1
        case .multilabel: return Set(reference).symmetricDifference(predicted).count
        }
    }

    /// Whether the prediction is wrong (nil when unlabelled).
    public var wrong: Bool? { wrongLabels.map { $0 > 0 } }

    /// The number a report shows beside the order: the confidence (classification) or the number
    /// of wrong labels (multi-label; nil when unlabelled).
    public var score: Double? {
        task == .classification ? confidence : wrongLabels.map(Double.init)
    }

    /// Ascending sort key of the order described above.
    public var sortKey: Double {
        switch task {
        case .classification:
            guard let wrong else { return 3 }
            return wrong ? 1 - confidence : 1 + confidence
        case .multilabel:
            return wrongLabels.map { -Double($0) } ?? 1
        }
    }

    /// The positions of `outcomes` in report order (by `sortKey`, then `ids`, then position).
    public static func order(_ outcomes: [TileOutcome], ids: [String]) -> [Int] {
        precondition(outcomes.count == ids.count, "TileOutcome.order: one id per outcome")
        return outcomes.indices.sorted { a, b in
            (outcomes[a].sortKey, ids[a], a) < (outcomes[b].sortKey, ids[b], b)
        }
    }
}
