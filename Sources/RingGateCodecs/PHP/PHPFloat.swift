/// A PHP float as it appears in a serialization: the token text between `d:` and `;`.
///
/// The gateway only re-serializes floats it parsed from PHP output, so keeping the original text
/// makes re-serialization byte-identical without reimplementing PHP's float printing for every
/// value (spec §9.2). Equality and hashing use the text, so `NAN` equals itself.
public struct PHPFloat: Hashable, Sendable, CustomStringConvertible {
    /// The token text, e.g. `0.1`, `1.0E+25`, `-INF`, `NAN`.
    public let text: [UInt8]

    /// Wraps token text; nil unless it matches PHP unserialize's float grammar: `NAN`, `INF`, `-INF`,
    /// or `[+-]?` digits with an optional `.` fraction (a digit on at least one side) and an optional
    /// `[eE][+-]?digits` exponent.
    public init?(text: [UInt8]) {
        guard Self.isValidToken(text.span) else { return nil }
        self.text = text
    }

    /// The text PHP's `serialize` writes for `value` (serialize_precision = −1): shortest round-trip
    /// digits, plain when the decimal exponent is in −4..<17, else `d.dddE±x`; `-0`, `INF`, `-INF`,
    /// `NAN`.
    public init(_ value: Double) {
        self.text = Array(PHPFloatFormatter.format(value).utf8)
    }

    /// The numeric value (what PHP's `zend_strtod` would give).
    public var value: Double {
        let string = String(decoding: text, as: UTF8.self)
        switch string {
        case "NAN": return .nan
        case "INF": return .infinity
        case "-INF": return -.infinity
        default: return Double(string) ?? 0
        }
    }

    /// The token text.
    public var description: String { String(decoding: text, as: UTF8.self) }

    /// Whether `token` is a float token PHP's `unserialize` accepts (see `init?(text:)`).
    static func isValidToken(_ token: borrowing Span<UInt8>) -> Bool {
        tokenLength(token, from: 0) == token.count
    }

    /// Length of the longest float token at `start` that is followed by nothing or by a byte that
    /// is not part of the grammar, or nil when none starts there. Used by the unserializer, which
    /// then requires `;`.
    static func tokenLength(_ bytes: borrowing Span<UInt8>, from start: Int) -> Int? {
        for word in ["NAN", "INF", "-INF"] where matches(bytes, start, word) {
            return word.utf8.count
        }
        var position = start
        if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
            position += 1
        }
        let integerDigits = digitRun(bytes, from: position)
        position += integerDigits
        var fractionDigits = 0
        var hasPoint = false
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            hasPoint = true
            position += 1
            fractionDigits = digitRun(bytes, from: position)
            position += fractionDigits
        }
        guard integerDigits + fractionDigits > 0, hasPoint || integerDigits > 0 else { return nil }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < bytes.count
                && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
            {
                position += 1
            }
            let exponentDigits = digitRun(bytes, from: position)
            guard exponentDigits > 0 else { return nil }
            position += exponentDigits
        }
        return position - start
    }

    private static func digitRun(_ bytes: borrowing Span<UInt8>, from start: Int) -> Int {
        var position = start
        while position < bytes.count && bytes[position] >= UInt8(ascii: "0") && bytes[position] <= UInt8(ascii: "9") {
            position += 1
        }
        return position - start
    }

    private static func matches(_ bytes: borrowing Span<UInt8>, _ start: Int, _ word: String) -> Bool {
        var position = start
        for byte in word.utf8 {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
        }
        // A word is a whole token only when `;` (or the end) follows, e.g. not `INFX`.
        return position == bytes.count || bytes[position] == UInt8(ascii: ";")
    }
}

/// PHP's float printing for `serialize` and `json_encode` (serialize_precision = −1).
enum PHPFloatFormatter {
    /// See `PHPFloat.init(_:)`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NAN" }
        if value.isInfinite { return value < 0 ? "-INF" : "INF" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let sign = value < 0 ? "-" : ""
        // Swift prints the shortest round-trip digits; take them apart into digits and a decimal point
        // position (value = 0.d1d2… × 10^pointPosition), then lay them out like PHP's zend_gcvt.
        let swiftText = value.magnitude.description
        var mantissa = Substring(swiftText)
        var exponent = 0
        if let e = swiftText.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = swiftText[..<e]
            exponent = Int(swiftText[swiftText.index(after: e)...]) ?? 0
        }
        var digits = ""
        var pointPosition = 0
        var seenPoint = false
        for character in mantissa {
            if character == "." {
                seenPoint = true
            } else {
                digits.append(character)
                if !seenPoint { pointPosition += 1 }
            }
        }
        while digits.first == "0" {
            digits.removeFirst()
            pointPosition -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        pointPosition += exponent
        if pointPosition < -3 || pointPosition > 17 {
            let first = digits.prefix(1)
            let rest = digits.dropFirst()
            let shown = pointPosition - 1
            return "\(sign)\(first).\(rest.isEmpty ? "0" : String(rest))E\(shown < 0 ? "-" : "+")\(shown.magnitude)"
        }
        if pointPosition <= 0 {
            return sign + "0." + String(repeating: "0", count: -pointPosition) + digits
        }
        if digits.count <= pointPosition {
            return sign + digits + String(repeating: "0", count: pointPosition - digits.count)
        }
        let split = digits.index(digits.startIndex, offsetBy: pointPosition)
        return sign + digits[..<split] + "." + digits[split...]
    }
}

extension PHPFloat {
    /// Wraps text the unserializer already matched against the grammar.
    init(validatedText: [UInt8]) {
        self.text = validatedText
    }
}
