import Foundation
import GeoLensPipeline
#if canImport(Glibc)
import Glibc
#endif

/// A run's progress drawn on stderr: one bar per label (a multi-scene prediction has one per
/// scene) and notes as plain lines.
final class StderrProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var bars: [String: ProgressReporter] = [:]

    /// A `RunProgress` whose events draw bars on stderr.
    static func sink(_ label: String, unit: String = "tiles") -> RunProgress {
        let drawer = StderrProgress()
        return RunProgress(label: label, unit: unit) { progress, event in drawer.handle(progress, event) }
    }

    private func handle(_ progress: RunProgress, _ event: RunProgress.Event) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .note(let text):
            printNote(text)
        case .started(let done, let total):
            // Timing starts now; a later run under the same label starts a new bar.
            bars[progress.label] = ProgressReporter(progress.label, total: total, unit: progress.unit, alreadyDone: done)
        case .advanced(let done, let total):
            bar(progress, total).advance(to: done)
        case .finished(let done, let total):
            let reporter = bar(progress, total)
            reporter.advance(to: done)
            reporter.finish()
            bars[progress.label] = nil
        }
    }

    private func bar(_ progress: RunProgress, _ total: Int) -> ProgressReporter {
        if let existing = bars[progress.label] { return existing }
        let reporter = ProgressReporter(progress.label, total: total, unit: progress.unit)
        bars[progress.label] = reporter
        return reporter
    }
}

/// Progress of long work on stderr: a redrawn bar with rate and ETA on a terminal,
/// plain lines every few seconds otherwise (logs of batch jobs stay readable).
final class ProgressReporter {
    private let label: String
    private let total: Int
    private let unit: String
    private let isTerminal: Bool
    private let start = Date()
    private var lastPrint = Date.distantPast
    private(set) var done: Int
    /// Items finished before this bar started (a resumed run): not part of its rate.
    private let alreadyDone: Int

    init(_ label: String, total: Int, unit: String = "tiles", alreadyDone: Int = 0) {
        self.label = label
        self.total = total
        self.unit = unit
        self.done = alreadyDone
        self.alreadyDone = alreadyDone
        self.isTerminal = isatty(STDERR_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// Records that `done` items are finished and redraws when due.
    func advance(to done: Int) {
        advance(by: done - self.done)
    }

    /// Records `count` more finished items and redraws when due.
    func advance(by count: Int = 1) {
        done += count
        let now = Date()
        let interval: TimeInterval = isTerminal ? 0.1 : 10
        if now.timeIntervalSince(lastPrint) >= interval || done == total {
            lastPrint = now
            draw(now: now)
        }
    }

    /// Ends the bar with a summary line.
    func finish() {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done - alreadyDone) / elapsed : 0
        let line = "\(label): \(done)/\(total) \(unit) in \(Self.format(elapsed)) (\(String(format: "%.2f", rate)) \(unit)/s)"
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + line + "\n").utf8))
    }

    private func draw(now: Date) {
        let elapsed = now.timeIntervalSince(start)
        // Rates over less than a second of work are noise (a resumed run's first advance is instant).
        let rate = elapsed >= 1 ? Double(done - alreadyDone) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let stats = rate > 0
            ? "\(done)/\(total) \(unit), \(String(format: "%.2f", rate)) \(unit)/s, ETA \(Self.format(remaining))"
            : "\(done)/\(total) \(unit)"
        if isTerminal {
            let width = 30
            let filled = total > 0 ? min(width, width * done / total) : width
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(label) [\(bar)] \(stats)".utf8))
        } else {
            FileHandle.standardError.write(Data("\(label): \(stats)\n".utf8))
        }
    }

    static func format(_ seconds: TimeInterval) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60)
            : s >= 60 ? String(format: "%dm%02ds", s / 60, s % 60) : "\(s)s"
    }
}
