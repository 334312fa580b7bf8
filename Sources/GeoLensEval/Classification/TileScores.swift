/// The reference of one tile in a tile task: one class (classification) or a set of classes
/// (multi-label). Encoded as an integer or a sorted array of integers.
public enum TileTarget: Sendable, Equatable, Hashable, Codable {
    case single(Int)
    case multiple(Set<Int>)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let index = try? c.decode(Int.self) {
            self = .single(index)
        } else {
            self = .multiple(Set(try c.decode([Int].self)))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .single(let index): try c.encode(index)
        case .multiple(let indices): try c.encode(indices.sorted())
        }
    }

    /// Every class index the target names.
    public var indices: [Int] {
        switch self {
        case .single(let index): [index]
        case .multiple(let indices): indices.sorted()
        }
    }
}

/// What a tile task keeps of one tile: the model's class probabilities (softmax for
/// classification, per-class sigmoids for multi-label) and the tile's reference, if labelled.
///
/// Exact (non-binned) AUROC and average precision rank every tile's probability, so the state
/// keeps them all: K Float32 values per tile, 4 bytes per class and tile in memory (10 classes
/// over a million tiles: 40 MB) and about 12 bytes each as text in state.json. Nothing else
/// grows with the tile count, and because the values are kept as the model produced them,
/// merging shard states gives exactly the metrics of one run.
public struct TileScores: Sendable, Equatable, Codable {
    /// K probabilities, in class order.
    public var probabilities: [Float]
    /// The reference; nil for a tile read unlabelled (kept in per_tile.csv, left out of metrics).
    public var target: TileTarget?

    public init(probabilities: [Float], target: TileTarget?) {
        self.probabilities = probabilities
        self.target = target
    }

    private enum CodingKeys: String, CodingKey { case probabilities, target = "label" }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(probabilities, forKey: .probabilities)
        try c.encode(target, forKey: .target)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        probabilities = try c.decode([Float].self, forKey: .probabilities)
        target = try c.decodeIfPresent(TileTarget.self, forKey: .target)
    }

    /// The top-1 class: the first index of the largest probability (torch.argmax's rule).
    public var predictedClass: Int {
        var best = 0
        for k in 1..<probabilities.count where probabilities[k] > probabilities[best] { best = k }
        return best
    }

    /// The predicted set of a multi-label tile: every class whose probability is strictly
    /// greater than its threshold (torchmetrics' `preds > threshold`).
    public func predictedClasses(thresholds: [Double]) -> Set<Int> {
        Set(probabilities.indices.filter { Double(probabilities[$0]) > thresholds[$0] })
    }

    /// The number of classes ranked above class `index`: those with a larger probability, and
    /// those with an equal one and a lower index (ties go to the lower index, as in argmax).
    public func rank(of index: Int) -> Int {
        let p = probabilities[index]
        var rank = 0
        for k in probabilities.indices where probabilities[k] > p || (probabilities[k] == p && k < index) { rank += 1 }
        return rank
    }
}
