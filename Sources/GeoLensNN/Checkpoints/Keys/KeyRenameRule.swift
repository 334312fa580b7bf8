import Foundation

/// One rename of checkpoint keys, as listed in a model card: a prefix or a regular expression and
/// its replacement. Rules apply in order, each to the result of the previous one.
///
/// - `.prefix("backbone.", "encoder.")` renames `backbone.conv1.weight` to `encoder.conv1.weight`
///   (keys without the prefix are unchanged).
/// - `.regex("^layer(\\d+)\\.", "encoder.stage$1.")` replaces every match; the replacement uses
///   `$1`-style group references (NSRegularExpression templates).
public struct KeyRenameRule: Sendable, Equatable {
    public enum Pattern: Sendable, Equatable {
        case prefix(String)
        case regex(String)
    }

    public let pattern: Pattern
    public let replacement: String

    /// A prefix rule.
    public init(prefix: String, replacement: String) {
        self.pattern = .prefix(prefix)
        self.replacement = replacement
    }

    /// A regular-expression rule; throws `.invalidRenameRule` naming the pattern when it does not compile.
    public init(regex: String, replacement: String) throws(CheckpointError) {
        do {
            _ = try NSRegularExpression(pattern: regex)
        } catch {
            throw CheckpointError(.invalidRenameRule, file: nil,
                                  "rename rule pattern \"\(regex)\" is not a valid regular expression; fix it in the model card")
        }
        self.pattern = .regex(regex)
        self.replacement = replacement
    }

    /// A function applying `rules` in order to one name (regular expressions compiled once).
    static func renamer(_ rules: [KeyRenameRule]) -> (String) -> String {
        let steps: [(String) -> String] = rules.map { rule in
            switch rule.pattern {
            case .prefix(let prefix):
                return { name in
                    name.hasPrefix(prefix) ? rule.replacement + name.dropFirst(prefix.count) : name
                }
            case .regex(let pattern):
                // Validated in init(regex:), so compiling cannot fail here.
                let expression = try! NSRegularExpression(pattern: pattern)
                return { name in
                    expression.stringByReplacingMatches(in: name, range: NSRange(name.startIndex..., in: name),
                                                        withTemplate: rule.replacement)
                }
            }
        }
        return { name in steps.reduce(name) { current, step in step(current) } }
    }
}
