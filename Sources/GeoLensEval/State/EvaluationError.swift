/// A user-facing evaluation failure: shard states that cannot be merged, runs that cannot be
/// compared, files that cannot be read or written. The message names the file, key or value
/// and says what to do.
public struct EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is (extensible).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// Shard states disagree on classes, ignore index, output kind or bins.
        public static let configurationMismatch = Code(name: "configurationMismatch")
        /// Shard states were made with different model checkpoints.
        public static let modelMismatch = Code(name: "modelMismatch")
        /// The same tile id appears in two shard states.
        public static let duplicateTile = Code(name: "duplicateTile")
        /// Two runs to compare were not scored on the same tiles.
        public static let tileSetMismatch = Code(name: "tileSetMismatch")
        /// A state file could not be read or decoded.
        public static let unreadableState = Code(name: "unreadableState")
        /// An output file could not be written.
        public static let writeFailed = Code(name: "writeFailed")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
