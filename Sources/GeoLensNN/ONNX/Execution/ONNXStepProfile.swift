import Foundation

/// Wall time spent per operator type while an `ONNXExecutor` runs, for finding where a graph's
/// time goes (`geolens-bench onnx --profile`, the counterpart of scripts/bench/onnx_ort_profile.py).
/// Fused steps are counted under names such as `Conv+Relu` and `Gelu (5 steps)`. Times from
/// several threads add up, so with the batch split across threads they sum to about the CPU time.
public final class ONNXStepProfile: @unchecked Sendable {
    private let lock = NSLock()
    private var totals: [String: (seconds: Double, calls: Int)] = [:]

    public init() {}

    /// Adds one step's time.
    func add(_ label: String, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        let entry = totals[label] ?? (0, 0)
        totals[label] = (entry.seconds + seconds, entry.calls + 1)
    }

    /// Operator types with their total milliseconds and step count, most expensive first.
    public var entries: [(label: String, milliseconds: Double, calls: Int)] {
        lock.lock()
        defer { lock.unlock() }
        return totals.map { ($0.key, $0.value.seconds * 1e3, $0.value.calls) }.sorted { $0.milliseconds > $1.milliseconds }
    }

    /// Forgets what was recorded (after warm-up runs).
    public func reset() {
        lock.lock()
        defer { lock.unlock() }
        totals = [:]
    }
}
