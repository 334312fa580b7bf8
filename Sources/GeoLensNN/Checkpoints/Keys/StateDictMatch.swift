public import Foundation

/// The outcome of `StateDictMatcher.match`: how checkpoint keys map to model names and what
/// does not fit.
public struct StateDictMatch: Sendable, Equatable {
    /// A name present in both with different shapes.
    public struct ShapeMismatch: Sendable, Equatable, CustomStringConvertible {
        public let name: String
        public let expected: [Int]
        public let found: [Int]
        public init(name: String, expected: [Int], found: [Int]) {
            self.name = name
            self.expected = expected
            self.found = found
        }
        public var description: String { "\(name) (checkpoint \(found), model \(expected))" }
    }

    /// Checkpoint name -> name after rename rules and prefix stripping, for every checkpoint key.
    public let renames: [String: String]
    /// Expected names the checkpoint lacks, sorted.
    public let missing: [String]
    /// Checkpoint names (after renaming) the model does not have, sorted.
    public let unexpected: [String]
    /// Names whose shapes differ, sorted by name.
    public let wrongShape: [ShapeMismatch]
    /// Wrapper prefixes that were stripped, in the order they were.
    public let strippedPrefixes: [String]

    /// True when every expected name is present with its shape and nothing unexpected remains.
    public var isExact: Bool { missing.isEmpty && unexpected.isEmpty && wrongShape.isEmpty }

    /// Throws `.keyMismatch` listing (the first few of) each kind of problem unless `isExact`.
    public func check(file: URL? = nil) throws(CheckpointError) {
        guard !isExact else { return }
        var parts: [String] = []
        if !missing.isEmpty { parts.append("\(missing.count) missing (\(Self.list(missing)))") }
        if !unexpected.isEmpty { parts.append("\(unexpected.count) unexpected (\(Self.list(unexpected)))") }
        if !wrongShape.isEmpty {
            parts.append("\(wrongShape.count) with the wrong shape (\(Self.list(wrongShape.map(\.description))))")
        }
        throw CheckpointError(.keyMismatch, file: file,
                              "checkpoint keys do not fit the model: " + parts.joined(separator: "; ")
                              + "; add rename rules to the model card, check the architecture options, "
                              + "or allow a partial load")
    }

    /// The first items of `names`, with a count of the rest.
    static func list(_ names: [String], limit: Int = 8) -> String {
        let shown = names.prefix(limit).joined(separator: ", ")
        return names.count > limit ? shown + ", and \(names.count - limit) more" : shown
    }
}
