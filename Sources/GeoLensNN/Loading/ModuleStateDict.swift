public import Foundation
import GeoLensTensor

extension Module {
    /// Parameters and buffers as a state dict with PyTorch's names
    /// (`num_batches_tracked` as an Int64 buffer, as PyTorch writes it).
    public func stateDict() -> StateDict {
        var result = StateDict()
        for (name, parameter) in namedParameters() {
            if name.hasSuffix("num_batches_tracked") {
                result[name] = .integer(IntegerTensor(shape: [], values: [Int64(parameter.value.scalar)]))
            } else {
                result[name] = .float(parameter.value.detached())
            }
        }
        return result
    }

    /// Loads `stateDict` into the module's parameters and buffers.
    ///
    /// Keys are renamed (`renameRules`), common wrapper prefixes (`model.`, `module.`, `net.`) are
    /// stripped when that makes them match, and keys under `ignoring` prefixes are skipped. Missing,
    /// unexpected and wrong-shape keys fail the load (one error listing them) unless `allowPartial`.
    @discardableResult
    public func load(_ stateDict: StateDict, renameRules: [KeyRenameRule] = [], ignoring ignoredPrefixes: [String] = [],
                     allowPartial: Bool = false, file: URL? = nil) throws(CheckpointError) -> StateDictMatch {
        let parameters = Dictionary(uniqueKeysWithValues: namedParameters().map { ($0.name, $0.parameter) })
        let expected = parameters.mapValues(\.shape)
        let matcher = StateDictMatcher(renameRules: renameRules)
        let raw = matcher.match(checkpoint: stateDict.shapes, expected: expected)
        let report = StateDictMatch(
            renames: raw.renames, missing: raw.missing,
            unexpected: raw.unexpected.filter { name in !ignoredPrefixes.contains { name.hasPrefix($0) } },
            wrongShape: raw.wrongShape, strippedPrefixes: raw.strippedPrefixes)
        if !allowPartial { try report.check(file: file) }
        let wrong = Set(report.wrongShape.map(\.name))
        for original in stateDict.names {
            guard let name = report.renames[original], let parameter = parameters[name], !wrong.contains(name) else { continue }
            switch stateDict[original] {
            case .float(let tensor)?:
                parameter.value = tensor
            case .integer(let integers)?:
                parameter.value = Tensor(shape: integers.shape, scalars: integers.values.map { Float($0) })
            case nil:
                continue
            }
        }
        return report
    }
}
