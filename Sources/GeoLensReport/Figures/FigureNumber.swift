import Foundation

/// Numbers as figures print them: short (about `digits` significant digits, whole numbers up to
/// 99999 written out, an exponent only below 0.001 or from 100000 on), with a real minus sign,
/// and never "-0".
public enum FigureNumber {
    /// `value` with `digits` significant digits (more for whole numbers below 100000): `0.5`,
    /// `0.123`, `3618`, `1.23e+05`; "n/a" when not finite.
    public static func short(_ value: Double, digits: Int = 3) -> String {
        guard value.isFinite else { return "n/a" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        var text: String
        if magnitude >= 1e-3 && magnitude < 1e5 {
            let decimals = max(0, digits - 1 - Int(floor(log10(magnitude))))
            text = String(format: "%.\(decimals)f", value)
            if text.contains(".") {
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
            }
            if text == "-0" || text == "0" { return "0" }
        } else {
            text = String(format: "%.\(max(1, digits))g", value)
        }
        return text.hasPrefix("-") ? "\u{2212}" + text.dropFirst() : text
    }

    /// `value` with an explicit sign (`+0.123`, `−0.04`, `0`), for signed quantities.
    public static func signed(_ value: Double, digits: Int = 3) -> String {
        let text = short(value, digits: digits)
        return value > 0 && value.isFinite ? "+" + text : text
    }
}
