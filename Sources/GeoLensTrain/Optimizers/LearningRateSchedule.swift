import Foundation

/// The learning-rate schedule (`schedule:` key), a pure function of the update index so that a
/// resumed run continues on exactly the same curve.
public struct LearningRateSchedule: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Linear warmup from 0, then cosine decay to `min_learning_rate` at the last update.
        case cosine
        /// Linear warmup, then constant.
        case constant
        /// Linear warmup, then multiply by `gamma` every `step_size` updates.
        case step
    }
    public var name: Kind = .cosine
    public var warmupSteps: Int = 0
    public var minLearningRate: Float = 0
    public var stepSize: Int = 1000
    public var gamma: Float = 0.1

    public init(name: Kind = .cosine, warmupSteps: Int = 0) {
        self.name = name
        self.warmupSteps = warmupSteps
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, gamma
        case warmupSteps = "warmup_steps", minLearningRate = "min_learning_rate", stepSize = "step_size"
    }

    public init(from decoder: Decoder) throws {
        try ConfigurationDecoding.rejectUnknownKeys(decoder, CodingKeys.self, "schedule")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(Kind.self, forKey: .name) ?? name
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 0
        minLearningRate = try c.decodeIfPresent(Float.self, forKey: .minLearningRate) ?? 0
        stepSize = try c.decodeIfPresent(Int.self, forKey: .stepSize) ?? stepSize
        gamma = try c.decodeIfPresent(Float.self, forKey: .gamma) ?? gamma
        guard warmupSteps >= 0, stepSize >= 1 else {
            throw TrainingError.configuration("schedule.warmup_steps must be >= 0 and schedule.step_size >= 1")
        }
    }

    /// The learning rate of update `step` (0-based) out of `totalSteps`, from `base`.
    public func learningRate(step: Int, totalSteps: Int, base: Float) -> Float {
        if step < warmupSteps { return base * Float(step + 1) / Float(warmupSteps) }
        switch name {
        case .constant:
            return base
        case .step:
            return base * Foundation.pow(gamma, Float((step - warmupSteps) / stepSize))
        case .cosine:
            let span = Swift.max(totalSteps - warmupSteps, 1)
            let progress = Double(Swift.min(step - warmupSteps, span)) / Double(span)
            return minLearningRate + (base - minLearningRate) * Float(0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
