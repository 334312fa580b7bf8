import Foundation
import GeoLensNN

/// A training failure a user can fix: a bad configuration value or unusable data.
public enum TrainingError: Error, CustomStringConvertible, Sendable {
    /// A configuration key has a bad value; the message names the key.
    case configuration(String)
    /// Tiles, labels or a checkpoint cannot be used; the message names the file.
    case data(String)

    public var description: String {
        switch self {
        case .configuration(let m), .data(let m): m
        }
    }

    /// True for mistakes in the configuration (usage errors) rather than in the data.
    public var isConfiguration: Bool {
        if case .configuration = self { return true }
        return false
    }
}

/// Strict decoding for training configuration sections: unknown keys are errors naming the key.
enum ConfigurationDecoding {
    static func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: Decoder, _ keys: Keys.Type, _ context: String) throws {
        try StrictDecoding.rejectUnknownKeys(in: decoder, allowed: keys, context: context)
    }
}
