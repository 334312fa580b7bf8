import Foundation

/// A parsed JSON value, so header validation can name exactly which field of which tensor is wrong
/// (a `Decodable` struct would only report a coding path).
enum SafetensorsJSON: Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([SafetensorsJSON])
    case object([String: SafetensorsJSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([SafetensorsJSON].self) { self = .array(v) }
        else { self = .object(try c.decode([String: SafetensorsJSON].self)) }
    }

    /// The value as a non-negative integer (nil for fractions, negatives, and non-numbers).
    var nonNegativeInteger: Int? {
        guard case .number(let d) = self, d >= 0, d == d.rounded(), d < 9.0e15 else { return nil }
        return Int(d)
    }

    /// A short rendering for error messages.
    var brief: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .string(let s): return "\"\(s.prefix(40))\""
        case .array(let a): return "[" + a.prefix(6).map(\.brief).joined(separator: ", ") + (a.count > 6 ? ", ...]" : "]")
        case .object: return "{...}"
        }
    }
}

/// JSON text writing for the header `SafetensorsWriter` produces (keys kept in the given order).
enum SafetensorsJSONText {
    /// `s` as a JSON string literal.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
