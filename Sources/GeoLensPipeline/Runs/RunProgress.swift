/// What a run reports while it works: how many items are done of how many, and notes
/// (resuming, skipped work) a person should see. The command-line tool draws a bar from it;
/// a Swift program may log it or ignore it.
public struct RunProgress: Sendable {
    public enum Event: Sendable {
        /// Work on `total` items begins, `done` of them already finished (a resumed run); rates
        /// and times count from here.
        case started(done: Int, total: Int)
        /// `done` of `total` items (tiles, scenes, windows) are finished.
        case advanced(done: Int, total: Int)
        /// A sentence about the run (for stderr).
        case note(String)
        /// The run finished its items.
        case finished(done: Int, total: Int)
    }

    public let label: String
    public let unit: String
    private let handler: @Sendable (RunProgress, Event) -> Void

    public init(label: String, unit: String = "tiles", handler: @escaping @Sendable (RunProgress, Event) -> Void) {
        self.label = label
        self.unit = unit
        self.handler = handler
    }

    /// A progress sink that drops every event.
    public static func silent(label: String, unit: String = "tiles") -> RunProgress {
        RunProgress(label: label, unit: unit) { _, _ in }
    }

    /// The same sink for another label and unit (a run's sub-steps).
    public func relabelled(_ label: String, unit: String? = nil) -> RunProgress {
        RunProgress(label: label, unit: unit ?? self.unit, handler: handler)
    }

    public func report(_ event: Event) { handler(self, event) }
    public func note(_ text: String) { handler(self, .note(text)) }
}
