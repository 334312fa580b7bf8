import Foundation

/// Rejects keys a decoded type does not know, suggesting the nearest valid key.
///
/// Configs and model cards are strict: a typo such as `ignore_idx` must be an error that says
/// "did you mean `ignore_index`?", not a silently ignored setting.
public enum StrictDecoding {
    /// Throws when the keyed container at `decoder` holds a key outside `Keys.allCases`.
    public static func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(
        in decoder: Decoder, allowed: Keys.Type, context: String
    ) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let known = Keys.allCases.map(\.stringValue)
        for key in container.allKeys where !known.contains(key.stringValue) {
            let path = (decoder.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: ".")
            var message = "unknown key '\(path)' in \(context)"
            if let suggestion = nearest(to: key.stringValue, in: known) { message += " (did you mean '\(suggestion)'?)" }
            message += "; valid keys: \(known.sorted().joined(separator: ", "))"
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [key], debugDescription: message))
        }
    }

    /// The candidate within edit distance max(2, length/3) of `key`, if any.
    public static func nearest(to key: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, key.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }
}

extension DecodingError {
    /// One readable sentence for a decoding failure: the key path and what was wrong.
    public var readableDescription: String {
        func path(_ keys: [CodingKey]) -> String {
            keys.isEmpty ? "(top level)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch self {
        case .keyNotFound(let key, let ctx):
            return "missing required key '\(path(ctx.codingPath + [key]))'"
        case .typeMismatch(let type, let ctx):
            return "key '\(path(ctx.codingPath))' has the wrong type (expected \(type))"
        case .valueNotFound(let type, let ctx):
            return "key '\(path(ctx.codingPath))' is null (expected \(type))"
        case .dataCorrupted(let ctx):
            if ctx.debugDescription.hasPrefix("unknown key") { return ctx.debugDescription }
            return ctx.codingPath.isEmpty ? "not valid: \(ctx.underlyingError.map { "\($0)" } ?? ctx.debugDescription)"
                : "key '\(path(ctx.codingPath))': \(ctx.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
