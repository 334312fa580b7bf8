/// A PNG that could not be written or read: the message names the file (or says "in memory")
/// and carries libpng's own message.
public struct PNGError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
