import Foundation
import GeoLensEval
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensReport

/// How a pipeline fails: a message that names the file, key or value and says what to do, and
/// whether the caller must change the request (`usage`) or the data is bad or a step failed
/// (`data`). The command-line tool prints `error: <message>` and exits with `exitStatus`.
public struct PipelineError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A bad flag, config key or value, or a request that cannot be carried out as asked.
        case usage
        /// Bad input data (rasters, checkpoints, cards, run directories) or a failure while running.
        case data
        /// Stopped by a signal (`RunInterruption`) at a point where the run can be resumed.
        case interrupted
    }

    public let kind: Kind
    public let message: String
    /// The signal of an interrupted run.
    public let signal: Int32?

    public init(_ kind: Kind, _ message: String, signal: Int32? = nil) {
        self.kind = kind
        self.message = message
        self.signal = signal
    }

    public static func usage(_ message: String) -> PipelineError { PipelineError(.usage, message) }
    public static func data(_ message: String) -> PipelineError { PipelineError(.data, message) }

    /// 64 for usage mistakes (as swift-argument-parser's usage errors), 1 for data and runtime
    /// failures, 128 + the signal for an interrupted run (130 for SIGINT, 143 for SIGTERM).
    public var exitStatus: Int32 {
        switch kind {
        case .usage: 64
        case .data: 1
        case .interrupted: 128 + (signal ?? 15)
        }
    }

    public var description: String { message }

    /// The error of a lower subsystem as a pipeline error, keeping its message; `context` (a
    /// file or step) is put in front when the message does not already name it.
    public init(wrapping error: any Error, context: String? = nil) {
        let message: String
        switch error {
        case let error as PipelineError:
            self = error
            return
        case let error as GeoError: message = error.description
        case let error as CheckpointError: message = error.description
        case let error as ModelCardError: message = error.message
        case let error as ONNXError: message = error.description
        case let error as ExplainError: message = error.description
        case let error as EvaluationError: message = error.description
        case let error as PNGError: message = error.description
        case let error as DecodingError: message = error.readableDescription
        default: message = String(describing: error)
        }
        if let context, !message.contains(context) {
            self.init(.data, "\(context): \(message)")
        } else {
            self.init(.data, message)
        }
    }

    /// Runs `body`, turning any error it throws into a `PipelineError`.
    static func wrapping<T>(context: String? = nil, _ body: () throws -> T) throws(PipelineError) -> T {
        do { return try body() } catch { throw PipelineError(wrapping: error, context: context) }
    }
}
