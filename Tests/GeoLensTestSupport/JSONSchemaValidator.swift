public import Foundation

/// A JSON Schema (draft-07) validator for the keywords the STAC extension schemas use: `$ref`
/// (local and to registered documents, with JSON pointers), `type`, `properties`, `required`,
/// `additionalProperties`, `patternProperties`, `minProperties`, `dependencies`, `items`,
/// `additionalItems`, `contains`, `minItems`, `maxItems`, `uniqueItems`, `minLength`,
/// `maxLength`, `pattern`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
/// `const`, `enum`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`. Annotations
/// (`title`, `description`, `format`, ...) are ignored, as draft-07 allows.
public struct JSONSchemaValidator {
    /// Schema documents by URL (without a fragment).
    private var documents: [String: Any] = [:]

    public init() {}

    /// Registers `document` under `url` (the address `$ref`s use), and under its own `$id`.
    public mutating func register(_ document: Any, as url: String) {
        documents[Self.strip(url)] = document
        if let id = (document as? [String: Any])?["$id"] as? String { documents[Self.strip(id)] = document }
    }

    /// Registers the JSON file at `file` under `url`.
    public mutating func register(file: URL, as url: String) throws {
        register(try Self.parse(Data(contentsOf: file)), as: url)
    }

    /// JSON text as plain values: `[String: Any]`, `[Any]`, `String`, `Double`, `Bool`, `NSNull`
    /// (booleans kept apart from numbers, which JSONSerialization does not do on every platform).
    public static func parse(_ data: Data) throws -> Any {
        try JSONDecoder().decode(Node.self, from: data).plain
    }

    /// The violations of JSON `data` against the document at `url` (empty: valid).
    public func validate(json data: Data, against url: String) throws -> [String] {
        validate(try Self.parse(data), against: url)
    }

    /// The violations of `instance` (as `parse` returns it) against the document at `url`
    /// (empty: valid), each with the instance path and the schema path.
    public func validate(_ instance: Any, against url: String) -> [String] {
        let base = Self.strip(url)
        guard let schema = documents[base] else { return ["schema \(url) is not registered"] }
        var errors: [String] = []
        check(instance, schema, base: base, path: "$", schemaPath: "#", errors: &errors)
        return errors
    }

    private static func strip(_ url: String) -> String {
        url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? url
    }

    /// Resolves a `$ref` against the document `base`; returns the schema and its document URL.
    private func resolve(_ reference: String, base: String) -> (schema: Any, base: String)? {
        let parts = reference.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let documentURL = parts[0].isEmpty ? base : parts[0]
        guard var node = documents[documentURL] else { return nil }
        let pointer = parts.count > 1 ? parts[1] : ""
        for token in pointer.split(separator: "/").map({ String($0).replacingOccurrences(of: "~1", with: "/")
                                                          .replacingOccurrences(of: "~0", with: "~") }) {
            if let object = node as? [String: Any], let next = object[token] { node = next }
            else if let array = node as? [Any], let i = Int(token), array.indices.contains(i) { node = array[i] }
            else { return nil }
        }
        return (node, documentURL)
    }

    private func check(_ value: Any, _ schema: Any, base: String, path: String, schemaPath: String, errors: inout [String]) {
        if let flag = schema as? Bool {
            if !flag { errors.append("\(path): no value is allowed here (\(schemaPath))") }
            return
        }
        guard let schema = schema as? [String: Any] else { return }
        func fail(_ message: String) { errors.append("\(path): \(message) (\(schemaPath))") }
        func valid(_ sub: Any, _ at: String, item: Any? = nil) -> Bool {
            var scratch: [String] = []
            check(item ?? value, sub, base: base, path: path, schemaPath: at, errors: &scratch)
            return scratch.isEmpty
        }
        if let reference = schema["$ref"] as? String {
            guard let (target, targetBase) = resolve(reference, base: base) else { fail("unresolvable $ref \(reference)"); return }
            check(value, target, base: targetBase, path: path, schemaPath: reference, errors: &errors)
            return  // draft-07: siblings of $ref are ignored
        }
        if let type = schema["type"] {
            let types = (type as? [String]) ?? [(type as? String) ?? ""]
            if !types.contains(where: { Self.matches(value, type: $0) }) { fail("is not of type \(types.joined(separator: "|"))") }
        }
        if let constant = schema["const"], !Self.equal(value, constant) { fail("must equal \(constant)") }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal(value, $0) }) {
            fail("must be one of \(options)")
        }
        for (i, sub) in ((schema["allOf"] as? [Any]) ?? []).enumerated() {
            check(value, sub, base: base, path: path, schemaPath: "\(schemaPath)/allOf/\(i)", errors: &errors)
        }
        if let anyOf = schema["anyOf"] as? [Any],
           !anyOf.indices.contains(where: { valid(anyOf[$0], "\(schemaPath)/anyOf/\($0)") }) {
            fail("matches none of anyOf")
        }
        if let oneOf = schema["oneOf"] as? [Any] {
            let count = oneOf.indices.filter { valid(oneOf[$0], "\(schemaPath)/oneOf/\($0)") }.count
            if count != 1 { fail("matches \(count) of oneOf, not exactly one") }
        }
        if let not = schema["not"], valid(not, "\(schemaPath)/not") { fail("must not match the 'not' schema") }
        if let condition = schema["if"] {
            if valid(condition, "\(schemaPath)/if") {
                if let then = schema["then"] { check(value, then, base: base, path: path, schemaPath: "\(schemaPath)/then", errors: &errors) }
            } else if let otherwise = schema["else"] {
                check(value, otherwise, base: base, path: path, schemaPath: "\(schemaPath)/else", errors: &errors)
            }
        }
        if let object = value as? [String: Any] {
            for key in (schema["required"] as? [String]) ?? [] where object[key] == nil { fail("lacks required '\(key)'") }
            if let minimum = (schema["minProperties"] as? Double).map(Int.init), object.count < minimum { fail("has fewer than \(minimum) properties") }
            let properties = (schema["properties"] as? [String: Any]) ?? [:]
            let patterns = (schema["patternProperties"] as? [String: Any]) ?? [:]
            for (key, child) in object {
                var matched = false
                if let sub = properties[key] {
                    matched = true
                    check(child, sub, base: base, path: "\(path).\(key)", schemaPath: "\(schemaPath)/properties/\(key)", errors: &errors)
                }
                for (pattern, sub) in patterns where Self.search(pattern, in: key) {
                    matched = true
                    check(child, sub, base: base, path: "\(path).\(key)", schemaPath: "\(schemaPath)/patternProperties", errors: &errors)
                }
                if !matched, let additional = schema["additionalProperties"] {
                    check(child, additional, base: base, path: "\(path).\(key)",
                          schemaPath: "\(schemaPath)/additionalProperties", errors: &errors)
                }
            }
            for (key, dependency) in (schema["dependencies"] as? [String: Any]) ?? [:] where object[key] != nil {
                if let names = dependency as? [String] {
                    for name in names where object[name] == nil { fail("has '\(key)' without '\(name)'") }
                } else {
                    check(value, dependency, base: base, path: path, schemaPath: "\(schemaPath)/dependencies/\(key)", errors: &errors)
                }
            }
        }
        if let array = value as? [Any] {
            if let minimum = (schema["minItems"] as? Double).map(Int.init), array.count < minimum { fail("has fewer than \(minimum) items") }
            if let maximum = (schema["maxItems"] as? Double).map(Int.init), array.count > maximum { fail("has more than \(maximum) items") }
            if schema["uniqueItems"] as? Bool == true {
                for i in array.indices { for j in array.indices where j > i && Self.equal(array[i], array[j]) { fail("repeats item \(i)") } }
            }
            if let items = schema["items"] as? [Any] {
                for (i, element) in array.enumerated() {
                    let sub: Any? = i < items.count ? items[i] : schema["additionalItems"]
                    if let sub { check(element, sub, base: base, path: "\(path)[\(i)]", schemaPath: "\(schemaPath)/items/\(i)", errors: &errors) }
                }
            } else if let items = schema["items"] {
                for (i, element) in array.enumerated() {
                    check(element, items, base: base, path: "\(path)[\(i)]", schemaPath: "\(schemaPath)/items", errors: &errors)
                }
            }
            if let contains = schema["contains"],
               !array.contains(where: { valid(contains, "\(schemaPath)/contains", item: $0) }) {
                fail("contains no item matching 'contains'")
            }
        }
        if let text = value as? String {
            if let minimum = (schema["minLength"] as? Double).map(Int.init), text.count < minimum { fail("is shorter than \(minimum)") }
            if let maximum = (schema["maxLength"] as? Double).map(Int.init), text.count > maximum { fail("is longer than \(maximum)") }
            if let pattern = schema["pattern"] as? String, !Self.search(pattern, in: text) { fail("does not match /\(pattern)/") }
        }
        if let number = Self.number(value) {
            if let minimum = schema["minimum"] as? Double, number < minimum { fail("is below \(minimum)") }
            if let maximum = schema["maximum"] as? Double, number > maximum { fail("is above \(maximum)") }
            if let minimum = schema["exclusiveMinimum"] as? Double, number <= minimum { fail("is not above \(minimum)") }
            if let maximum = schema["exclusiveMaximum"] as? Double, number >= maximum { fail("is not below \(maximum)") }
        }
    }

    private static func isBool(_ value: Any) -> Bool { value is Bool }

    private static func number(_ value: Any) -> Double? { value as? Double }

    private static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "object": value is [String: Any]
        case "array": value is [Any]
        case "string": value is String
        case "boolean": isBool(value)
        case "number": number(value) != nil
        case "integer": number(value).map { $0 == $0.rounded() } ?? false
        case "null": value is NSNull
        default: false
        }
    }

    private static func equal(_ a: Any, _ b: Any) -> Bool {
        if a is NSNull || b is NSNull { return a is NSNull && b is NSNull }
        if isBool(a) || isBool(b) { return isBool(a) && isBool(b) && (a as? Bool) == (b as? Bool) }
        if let x = number(a), let y = number(b) { return x == y }
        if let x = a as? String, let y = b as? String { return x == y }
        if let x = a as? [Any], let y = b as? [Any] { return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) } }
        if let x = a as? [String: Any], let y = b as? [String: Any] {
            return x.count == y.count && x.allSatisfy { key, v in y[key].map { equal(v, $0) } ?? false }
        }
        return false
    }

    private static func search(_ pattern: String, in text: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// A decoded JSON value.
    private enum Node: Decodable {
        case null, bool(Bool), number(Double), string(String), array([Node]), object([String: Node])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let v = try? c.decode(Bool.self) { self = .bool(v) }
            else if let v = try? c.decode(Double.self) { self = .number(v) }
            else if let v = try? c.decode(String.self) { self = .string(v) }
            else if let v = try? c.decode([Node].self) { self = .array(v) }
            else { self = .object(try c.decode([String: Node].self)) }
        }

        var plain: Any {
            switch self {
            case .null: NSNull()
            case .bool(let v): v
            case .number(let v): v
            case .string(let v): v
            case .array(let v): v.map(\.plain)
            case .object(let v): v.mapValues(\.plain)
            }
        }
    }
}
