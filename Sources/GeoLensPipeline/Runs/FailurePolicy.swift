/// What a run does with a tile (or scene) that cannot be read, paired or scored: stop with its
/// error (`fail`, the default), or record it with its reason and go on (`skip`), stopping only
/// when more than `maxFailures` items have failed.
public struct FailurePolicy: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable {
        case fail, skip
    }

    public var mode: Mode
    /// With `skip`: the run stops once more items than this have failed (nil: no limit).
    public var maxFailures: Int?

    public init(mode: Mode = .fail, maxFailures: Int? = nil) {
        self.mode = mode
        self.maxFailures = maxFailures
    }

    public static let fail = FailurePolicy()

    /// The policy of the `on_error`/`max_failures` config keys, with errors naming them.
    public init(onError: String, maxFailures: Int?, source: String) throws(PipelineError) {
        guard let mode = Mode(rawValue: onError) else {
            throw .usage("\(source): key 'on_error' is '\(onError)'; use fail or skip")
        }
        if let maxFailures, maxFailures < 0 {
            throw .usage("\(source): key 'max_failures' must be at least 0, got \(maxFailures)")
        }
        if maxFailures != nil && mode == .fail {
            throw .usage("\(source): key 'max_failures' applies with 'on_error: skip' only")
        }
        self.init(mode: mode, maxFailures: maxFailures)
    }

    /// Runs `body` for one item: its error is rethrown under `fail`; under `skip` it is passed to
    /// `record` and nil is returned, unless the failures now exceed `maxFailures`.
    func attempt<T>(_ item: String, failuresSoFar: Int, record: (String) throws(PipelineError) -> Void,
                    _ body: () throws(PipelineError) -> T) throws(PipelineError) -> T? {
        do {
            return try body()
        } catch {
            guard mode == .skip else { throw error }
            try record(error.message)
            if let maxFailures, failuresSoFar + 1 > maxFailures {
                throw .data("\(failuresSoFar + 1) items failed, more than max_failures \(maxFailures); the last: \(item): \(error.message)")
            }
            return nil
        }
    }
}
