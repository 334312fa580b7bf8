import Foundation

/// Execution plans already made for a model, keyed by the concrete input shapes.
/// Shared by copies of an `ONNXModel`; safe to use from several threads.
final class ONNXPlanCache: @unchecked Sendable {
    private let lock = NSLock()
    private var plans: [[String: [Int]]: ONNXExecutionPlan] = [:]

    func plan(for inputShapes: [String: [Int]]) -> ONNXExecutionPlan? {
        lock.lock()
        defer { lock.unlock() }
        return plans[inputShapes]
    }

    func store(_ plan: ONNXExecutionPlan, for inputShapes: [String: [Int]]) {
        lock.lock()
        defer { lock.unlock() }
        plans[inputShapes] = plan
    }

    /// Number of plans held (for tests).
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return plans.count
    }
}
