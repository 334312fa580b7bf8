/// A C x C matrix of pixel counts: rows are the reference class, columns the predicted class.
///
/// Counts are `Int64`, so adding and merging matrices is exact and order-independent: a
/// sharded run sums to the same matrix as one run. Storage is one flat row-major array,
/// so hot loops and the bootstrap can work on it through a buffer pointer.
public struct ConfusionMatrix: Sendable, Equatable, Hashable {
    /// Number of classes C.
    public let classCount: Int
    /// Row-major counts, `counts[reference * C + predicted]`.
    public private(set) var counts: [Int64]

    /// An all-zero matrix for `classCount` classes.
    public init(classCount: Int) {
        precondition(classCount >= 1, "ConfusionMatrix: need at least one class, got \(classCount)")
        self.classCount = classCount
        self.counts = [Int64](repeating: 0, count: classCount * classCount)
    }

    /// A matrix from row-major counts (`counts.count` must be `classCount^2`).
    public init(classCount: Int, counts: [Int64]) {
        precondition(classCount >= 1 && counts.count == classCount * classCount,
                     "ConfusionMatrix: \(counts.count) counts do not form a \(classCount) x \(classCount) matrix")
        self.classCount = classCount
        self.counts = counts
    }

    /// A matrix from rows (`rows[reference][predicted]`).
    public init(rows: [[Int64]]) {
        self.init(classCount: rows.count, counts: rows.flatMap { $0 })
    }

    /// The count of pixels whose reference is `reference` and prediction is `predicted`.
    public subscript(reference: Int, predicted: Int) -> Int64 {
        get { counts[reference * classCount + predicted] }
        set { counts[reference * classCount + predicted] = newValue }
    }

    /// The matrix as rows (`rows[reference][predicted]`), as written to metrics.json.
    public var rows: [[Int64]] {
        (0..<classCount).map { Array(counts[($0 * classCount)..<(($0 + 1) * classCount)]) }
    }

    // MARK: Updates

    /// Counts one pixel.
    public mutating func add(reference: Int, predicted: Int, count: Int64 = 1) {
        precondition(reference >= 0 && reference < classCount && predicted >= 0 && predicted < classCount,
                     "ConfusionMatrix.add: pair (\(reference), \(predicted)) outside 0..<\(classCount)")
        counts[reference * classCount + predicted] += count
    }

    /// Adds every count of `other` (same class count) into this matrix.
    public mutating func merge(_ other: ConfusionMatrix) {
        precondition(other.classCount == classCount,
                     "ConfusionMatrix.merge: \(other.classCount) classes cannot merge into \(classCount)")
        counts.withUnsafeMutableBufferPointer { dst in
            other.counts.withUnsafeBufferPointer { src in
                for i in 0..<dst.count { dst[i] += src[i] }
            }
        }
    }

    /// The sum of two matrices.
    public static func + (lhs: ConfusionMatrix, rhs: ConfusionMatrix) -> ConfusionMatrix {
        var result = lhs
        result.merge(rhs)
        return result
    }

    // MARK: Per-class counts

    /// Total scored pixels N (the sum of every count).
    public var total: Int64 { counts.reduce(0, +) }

    /// True positives of class `c`: `M[c][c]`.
    public func truePositives(_ c: Int) -> Int64 { self[c, c] }

    /// Reference pixels of class `c` (row sum): the class's support.
    public func support(_ c: Int) -> Int64 {
        counts[(c * classCount)..<((c + 1) * classCount)].reduce(0, +)
    }

    /// Pixels predicted as class `c` (column sum).
    public func predicted(_ c: Int) -> Int64 {
        var sum: Int64 = 0
        for r in 0..<classCount { sum += self[r, c] }
        return sum
    }

    /// False positives of class `c`: predicted `c`, reference another class.
    public func falsePositives(_ c: Int) -> Int64 { predicted(c) - truePositives(c) }

    /// False negatives of class `c`: reference `c`, predicted another class.
    public func falseNegatives(_ c: Int) -> Int64 { support(c) - truePositives(c) }
}

extension ConfusionMatrix: Codable {
    private enum CodingKeys: String, CodingKey { case rows }

    /// Encoded as `{"rows": [[...], ...]}` (rows = reference class), the same layout as metrics.json.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let rows = try container.decode([[Int64]].self, forKey: .rows)
        guard !rows.isEmpty, rows.allSatisfy({ $0.count == rows.count }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .rows, in: container,
                debugDescription: "confusion matrix rows must form a square matrix, got \(rows.map(\.count)) columns per row")
        }
        self.init(rows: rows)
    }
}
