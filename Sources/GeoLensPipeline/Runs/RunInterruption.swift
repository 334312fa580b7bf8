import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Asks running pipelines to stop at the next safe point: between batches of an evaluation
/// (after the journal has been flushed), between tiles of an explanation, between windows of a
/// prediction. The command-line tool requests it on SIGINT and SIGTERM; a Swift program may
/// request it from anywhere. The run then throws a `PipelineError` of kind `.interrupted` that says
/// how far it got and how to resume, with exit status 128 + the signal.
public enum RunInterruption {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var pending: Int32?

    /// Asks every run in this process to stop (with the signal that asked, for the exit status).
    public static func request(signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if pending == nil { pending = signal }
    }

    /// The signal of a pending request, if any.
    public static var requestedSignal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return pending
    }

    /// Forgets a request (for a program that handles the interruption and goes on).
    public static func reset() {
        lock.lock()
        defer { lock.unlock() }
        pending = nil
    }

    /// Throws the interruption when one is pending; `status` says how far the run got and how to resume.
    static func checkpoint(_ status: @autoclosure () -> String) throws(PipelineError) {
        guard let signal = requestedSignal else { return }
        let name = signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
        throw PipelineError(.interrupted, "interrupted by \(name): \(status())", signal: signal)
    }
}
