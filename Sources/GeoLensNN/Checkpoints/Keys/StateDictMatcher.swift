public import Foundation

/// Matches checkpoint keys to the names and shapes a model expects.
///
/// Steps, in order:
/// 1. the model card's rename rules (`KeyRenameRule`), in order;
/// 2. wrapper prefixes (`module.` from DataParallel, `model.`/`net.` from Lightning modules) are
///    stripped when every key has one and no match is lost, or when stripping it from the keys
///    that have it makes more keys match the expected set; stripping never merges two keys;
/// 3. comparison: expected names absent from the checkpoint are *missing*, checkpoint names the
///    model does not have are *unexpected* (except names ending in `ignoredUnexpectedSuffixes`,
///    such as `num_batches_tracked`), and names present in both with different shapes are
///    *wrong-shape*.
///
/// It works on `[String: [Int]]` so it does not depend on how a model stores its parameters.
public struct StateDictMatcher: Sendable {
    public var renameRules: [KeyRenameRule]
    public var strippablePrefixes: [String]
    public var ignoredUnexpectedSuffixes: [String]

    public init(renameRules: [KeyRenameRule] = [],
                strippablePrefixes: [String] = ["module.", "model.", "net."],
                ignoredUnexpectedSuffixes: [String] = ["num_batches_tracked"]) {
        self.renameRules = renameRules
        self.strippablePrefixes = strippablePrefixes
        self.ignoredUnexpectedSuffixes = ignoredUnexpectedSuffixes
    }

    /// Compares checkpoint names and shapes with the expected ones.
    public func match(checkpoint: [String: [Int]], expected: [String: [Int]]) -> StateDictMatch {
        let rename = KeyRenameRule.renamer(renameRules)
        var names: [String: String] = [:]   // checkpoint name -> current name
        for original in checkpoint.keys.sorted() { names[original] = rename(original) }
        guard Set(names.values).count == names.count else {
            // Rules that merge keys would silently drop weights: report every key unmatched instead.
            return StateDictMatch(renames: [:], missing: expected.keys.sorted(),
                                  unexpected: checkpoint.keys.sorted(), wrongShape: [], strippedPrefixes: [])
        }
        var stripped: [String] = []
        var changed = true
        while changed {
            changed = false
            for prefix in strippablePrefixes {
                let candidate = names.mapValues { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
                guard candidate != names, Set(candidate.values).count == candidate.count else { continue }
                let before = matches(names, expected), after = matches(candidate, expected)
                let everyKey = names.values.allSatisfy { $0.hasPrefix(prefix) }
                if after > before || (everyKey && after >= before) {
                    names = candidate
                    stripped.append(prefix)
                    changed = true
                }
            }
        }
        let present = Set(names.values)
        var wrongShape: [StateDictMatch.ShapeMismatch] = []
        for (original, name) in names {
            if let want = expected[name], let have = checkpoint[original], want != have {
                wrongShape.append(.init(name: name, expected: want, found: have))
            }
        }
        let unexpected = present.subtracting(expected.keys).filter { name in
            !ignoredUnexpectedSuffixes.contains { name.hasSuffix($0) }
        }
        return StateDictMatch(renames: names,
                              missing: Set(expected.keys).subtracting(present).sorted(),
                              unexpected: unexpected.sorted(),
                              wrongShape: wrongShape.sorted { $0.name < $1.name },
                              strippedPrefixes: stripped)
    }

    /// The state dict under the model's names, checked against `expected`.
    ///
    /// Throws `.keyMismatch` listing missing, unexpected and wrong-shape keys unless
    /// `allowPartial` is set, in which case matching entries are kept and the rest dropped.
    public func apply(to stateDict: StateDict, expected: [String: [Int]], allowPartial: Bool = false,
                      file: URL? = nil) throws(CheckpointError) -> (StateDict, StateDictMatch) {
        let report = match(checkpoint: stateDict.shapes, expected: expected)
        if !allowPartial { try report.check(file: file) }
        let wrong = Set(report.wrongShape.map(\.name))
        var out = StateDict(format: stateDict.format, metadata: stateDict.metadata)
        for original in stateDict.names {
            guard let name = report.renames[original], expected[name] != nil, !wrong.contains(name) else { continue }
            out[name] = stateDict[original]
        }
        return (out, report)
    }

    private func matches(_ names: [String: String], _ expected: [String: [Int]]) -> Int {
        names.values.reduce(0) { $0 + (expected[$1] != nil ? 1 : 0) }
    }
}
