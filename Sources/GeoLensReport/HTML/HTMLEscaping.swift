/// Escaping for everything user-supplied that reaches a report (class names, file names,
/// config values, tile ids). Reports are written as well-formed XHTML-compatible markup, so the
/// five XML special characters are escaped in text and attribute values alike.
public enum HTML {
    /// `text` with `& < > " '` replaced by entities, and control characters other than tab and
    /// line breaks dropped (they are not allowed in XML).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A `data:` URI embedding PNG bytes.
    public static func dataURI(png bytes: [UInt8]) -> String {
        "data:image/png;base64," + base64(bytes)
    }

    /// Standard base64 with padding.
    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            out += [alphabet[n >> 18 & 63], alphabet[n >> 12 & 63], alphabet[n >> 6 & 63], alphabet[n & 63]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = Int(bytes[i]) << 16
            out += [alphabet[n >> 18 & 63], alphabet[n >> 12 & 63], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8
            out += [alphabet[n >> 18 & 63], alphabet[n >> 12 & 63], alphabet[n >> 6 & 63], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A table cell for an optional number (an em dash for 0/0).
    public static func number(_ value: Double?, digits: Int = 4) -> String {
        guard let value, value.isFinite else { return "—" }
        return SVG.format(value, digits: digits)
    }

    /// A value with its interval, e.g. `0.8123 [0.7900, 0.8400]`.
    public static func withInterval(_ value: Double?, _ low: Double?, _ high: Double?) -> String {
        guard let low, let high else { return number(value) }
        return "\(number(value)) <span class=\"ci\">[\(number(low)), \(number(high))]</span>"
    }
}
