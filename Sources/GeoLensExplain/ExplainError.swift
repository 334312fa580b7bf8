/// Errors of the attribution methods: each message names the value at fault and what to do.
public struct ExplainError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
