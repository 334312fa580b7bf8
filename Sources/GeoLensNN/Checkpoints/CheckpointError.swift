public import Foundation

/// The one error type of checkpoint reading, writing and key matching.
///
/// `code` says what kind of problem it is (so callers can branch on it), `message` names the
/// file and the tensor key, pickle global or header field involved and says what to do;
/// `description` is a single line suitable for `error: ...`.
public struct CheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, independent of the file.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The file could not be opened, mapped or read.
        public static let unreadable = Code("unreadable")
        /// The content is none of the supported formats.
        public static let unknownFormat = Code("unknownFormat")
        /// A pre-1.6 PyTorch pickle file (not a zip archive).
        public static let legacyPickle = Code("legacyPickle")
        /// The file ends before the structure it declares.
        public static let truncated = Code("truncated")
        /// A header, record or opcode stream is malformed.
        public static let corrupt = Code("corrupt")
        /// An element type the format allows but GeoLens does not read.
        public static let unsupportedDType = Code("unsupportedDType")
        /// A pickle references a global outside the allow-list.
        public static let forbiddenGlobal = Code("forbiddenGlobal")
        /// A pickle uses an opcode outside the supported set.
        public static let unsupportedOpcode = Code("unsupportedOpcode")
        /// The checkpoint holds no recognisable state dict.
        public static let noStateDict = Code("noStateDict")
        /// Names or shapes do not match what the model expects.
        public static let keyMismatch = Code("keyMismatch")
        /// A rename rule is not a valid regular expression.
        public static let invalidRenameRule = Code("invalidRenameRule")
        /// The file could not be written.
        public static let unwritable = Code("unwritable")
    }

    public let code: Code
    /// The checkpoint file involved (nil for purely in-memory operations such as key matching).
    public let file: URL?
    /// A complete sentence naming the key, global or field involved and what to do.
    public let message: String

    public init(_ code: Code, file: URL?, _ message: String) {
        self.code = code
        self.file = file
        self.message = message
    }

    public var description: String {
        let text = message.replacingOccurrences(of: "\n", with: " ")
        guard let file else { return text }
        return "\(file.path): \(text)"
    }
}

extension CheckpointError {
    static func truncated(_ file: URL?, _ what: String) -> CheckpointError {
        CheckpointError(.truncated, file: file,
                        "\(what); the file is truncated or incomplete, copy or download it again")
    }

    static func corrupt(_ file: URL?, _ what: String) -> CheckpointError {
        CheckpointError(.corrupt, file: file,
                        "\(what); the file is corrupt or not written by a supported tool, re-export it")
    }
}
