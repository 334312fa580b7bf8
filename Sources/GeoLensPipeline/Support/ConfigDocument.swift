public import Foundation
public import GeoLensNN
import Yams

/// A config file (JSON or YAML) as a tree, with `--set key.path=value` overrides applied,
/// decoded strictly into a typed config.
///
/// Every failure is a usage error naming the file and the key: unknown keys (with the nearest
/// valid key), missing required keys, wrong types, and values out of range (`validate()`).
///
/// Precedence, the same for every command: the config file, then each `--set KEY=VALUE` in
/// order, then explicit flags (a flag always wins).
///
/// The command-line tool reads every config through this type; it lives in the library so that
/// programs and the parser fuzz harness read configs exactly as the commands do.
public struct ConfigDocument: Sendable {
    public private(set) var root: [String: JSONValue]
    public let source: String

    /// Reads `url` as YAML (a superset of JSON), or starts empty when there is no file.
    public init(file url: URL?) throws {
        guard let url else {
            root = [:]
            source = "command-line flags"
            return
        }
        source = url.path
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw PipelineError.usage("cannot read config \(url.path): \(error.localizedDescription)")
        }
        let parsed: Any?
        do { parsed = try Self.parse(yaml: text) } catch let error as NonScalarKey {
            throw PipelineError.usage("config \(url.path) uses \(error.key) as a key; keys must be plain names")
        } catch {
            throw PipelineError.usage("config \(url.path) is not valid JSON or YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        guard let tree = parsed.map(Self.jsonValue), case .object(let object) = tree else {
            throw PipelineError.usage("config \(url.path) must be a mapping of keys to values at the top level")
        }
        root = object
    }

    /// Sets `value` at a dotted key path, replacing what is there. Values are parsed as YAML
    /// scalars or flow collections (`4`, `true`, `0.5`, `[1, 2]`, `text`).
    public mutating func set(_ assignment: String) throws {
        guard let eq = assignment.firstIndex(of: "="), eq != assignment.startIndex else {
            throw PipelineError.usage("--set expects KEY=VALUE, got '\(assignment)'")
        }
        let path = assignment[..<eq].split(separator: ".").map(String.init)
        let raw = String(assignment[assignment.index(after: eq)...])
        let value = ((try? Self.parse(yaml: raw)) ?? nil).map(Self.jsonValue) ?? .string(raw)
        root = Self.setting(value, at: path[...], in: root)
    }

    /// The settings of a command: `file`, then `assignments` (`--set`), then `flags` (key, value
    /// or nil when the flag was not given).
    public static func resolve(file: String?, assignments: [String], flags: [(String, JSONValue?)]) throws -> ConfigDocument {
        var document = try ConfigDocument(file: file.map { URL(fileURLWithPath: $0) })
        for assignment in assignments { try document.set(assignment) }
        for (key, value) in flags { document.override(key, value) }
        return document
    }

    /// Adds `--source NAME=PATH` flags to the `sources:` map (a flag replaces the file's binding of that name).
    public mutating func bindSources(_ flags: [String]) throws {
        guard !flags.isEmpty else { return }
        var sources: [String: JSONValue] = [:]
        if case .object(let existing)? = root["sources"] { sources = existing }
        for (name, path) in try InputSources.parse(flags) { sources[name] = .string(path) }
        root["sources"] = .object(sources)
    }

    /// A sequence or mapping used as a mapping key (`{[1]: 2}`, `? [a, b]`).
    struct NonScalarKey: Error { let key: String }

    /// Parses YAML into Foundation values, as `Yams.load` does, after checking that every mapping
    /// key is a scalar: Yams's conversion force-unwraps each key as a string and stops the
    /// process on a sequence or mapping key (found by fuzzing the config loader).
    static func parse(yaml text: String) throws -> Any? {
        guard let node = try Yams.compose(yaml: text) else { return nil }
        var pending = [node]
        while let next = pending.popLast() {
            switch next {
            case .scalar, .alias:
                continue
            case .sequence(let items):
                pending.append(contentsOf: items)
            case .mapping(let pairs):
                for (key, value) in pairs {
                    guard case .scalar = key else {
                        throw NonScalarKey(key: { if case .sequence = key { "a sequence" } else { "a mapping" } }())
                    }
                    pending.append(value)
                }
            }
        }
        return node.any
    }

    /// Sets `value` at `key`, replacing the file's value (explicit flags win over the file).
    public mutating func override(_ key: String, _ value: JSONValue?) {
        guard let value else { return }
        root[key] = value
    }

    /// Decodes the tree into `T`, turning decoding errors into one readable usage error.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            let data = try JSONEncoder().encode(JSONValue.object(root))
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw PipelineError.usage("\(source): \(error.readableDescription)")
        }
    }

    private static func setting(_ value: JSONValue, at path: ArraySlice<String>, in object: [String: JSONValue]) -> [String: JSONValue] {
        var object = object
        guard let head = path.first else { return object }
        if path.count == 1 {
            object[head] = value
        } else {
            var child: [String: JSONValue] = [:]
            if case .object(let existing)? = object[head] { child = existing }
            object[head] = .object(setting(value, at: path.dropFirst(), in: child))
        }
        return object
    }

    public static func jsonValue(_ any: Any) -> JSONValue {
        switch any {
        case let v as Bool: return .bool(v)
        case let v as Int: return .number(Double(v))
        case let v as Double: return .number(v)
        case let v as String: return .string(v)
        case let v as [Any]: return .array(v.map(jsonValue))
        case let v as [String: Any]: return .object(v.mapValues(jsonValue))
        case let v as [AnyHashable: Any]:
            return .object(Dictionary(v.map { ("\($0.key)", jsonValue($0.value)) }, uniquingKeysWith: { _, last in last }))
        case is NSNull: return .null
        default: return .string("\(any)")
        }
    }
}
