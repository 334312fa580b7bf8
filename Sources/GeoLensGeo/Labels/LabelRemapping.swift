/// A table that renames label values on read, e.g. `{0: 255, 10: 0, 20: 1}` for a
/// land-cover product whose codes are not `0..<classes`.
public struct LabelRemapping: Hashable, Sendable {
    /// What to do with a value the table does not mention.
    public enum Unmapped: Hashable, Sendable {
        /// Keep the value as it is.
        case keep
        /// Replace it with the ignore index (excluded from metrics).
        case ignore
    }

    public let table: [Int: Int]
    public let unmapped: Unmapped

    public init(_ table: [Int: Int], unmapped: Unmapped = .keep) {
        self.table = table
        self.unmapped = unmapped
    }

    /// The value `raw` becomes, with `ignoreIndex` standing for "excluded".
    @inline(__always)
    func map(_ raw: Int, ignoreIndex: Int32) -> Int32 {
        if let mapped = table[raw] { return Int32(truncatingIfNeeded: mapped) }
        return unmapped == .keep ? Int32(truncatingIfNeeded: raw) : ignoreIndex
    }

    /// A dense lookup for raw values in `0..<size` when every key fits, so the hot loop avoids hashing.
    func denseTable(size: Int, ignoreIndex: Int32) -> [Int32]? {
        guard table.keys.allSatisfy({ $0 >= 0 && $0 < size }) else { return nil }
        return (0..<size).map { map($0, ignoreIndex: ignoreIndex) }
    }
}
