/// Writes JSON the way PHP's `json_encode` does with its default flags: `/` as `\/`, non-ASCII as
/// `\uXXXX` (UTF-16, surrogate pairs, lowercase hex), control characters as `\b \f \n \r \t` or
/// `\u00XX`, no whitespace.
///
/// Register lines and auth bodies built this way are byte-identical to PHP's. The two escaping
/// choices can be turned off to mimic `JSON_UNESCAPED_SLASHES` / `JSON_UNESCAPED_UNICODE`, e.g. for
/// workerman 5's array-to-text conversion (spec §4.4).
public struct JSONWriter: Sendable {
    /// The JSON so far.
    public var bytes: [UInt8]
    /// Write `/` as `\/` (PHP's default).
    public var escapesSlashes: Bool
    /// Write non-ASCII characters as `\uXXXX` (PHP's default).
    public var escapesNonASCII: Bool

    /// A writer appending to `bytes`.
    public init(bytes: [UInt8] = [], escapesSlashes: Bool = true, escapesNonASCII: Bool = true) {
        self.bytes = bytes
        self.escapesSlashes = escapesSlashes
        self.escapesNonASCII = escapesNonASCII
    }

    /// The JSON text of `value`, PHP-style.
    public static func encode(_ value: JSONValue, escapesSlashes: Bool = true, escapesNonASCII: Bool = true) -> [UInt8]
    {
        var writer = JSONWriter(escapesSlashes: escapesSlashes, escapesNonASCII: escapesNonASCII)
        writer.write(value)
        return writer.bytes
    }

    /// A quoted, escaped JSON string.
    public mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        writeEscapedContents(text)
        bytes.append(UInt8(ascii: "\""))
    }

    /// The escaped contents of a JSON string, without quotes.
    public mutating func writeEscapedContents(_ text: String) {
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: append("\\\"")
            case 0x5C: append("\\\\")
            case 0x2F: append(escapesSlashes ? "\\/" : "/")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x00..<0x20: appendUnicodeEscape(UInt16(scalar.value))
            case 0x20..<0x80: bytes.append(UInt8(scalar.value))
            default:
                if escapesNonASCII {
                    for unit in String(scalar).utf16 { appendUnicodeEscape(unit) }
                } else {
                    bytes.append(contentsOf: String(scalar).utf8)
                }
            }
        }
    }

    /// Writes `value`; iterative, so nesting costs heap, not stack.
    public mutating func write(_ value: JSONValue) {
        enum Open {
            case array([JSONValue], Int)
            case object([(key: String, value: JSONValue)], Int)
        }
        var open: [Open] = []
        var next: JSONValue? = value
        while true {
            if let current = next {
                next = nil
                switch current {
                case .null: append("null")
                case .bool(let flag): append(flag ? "true" : "false")
                case .number(let number): append(number.text)
                case .string(let string): writeString(string)
                case .array(let elements):
                    bytes.append(UInt8(ascii: "["))
                    open.append(.array(elements, 0))
                case .object(let members):
                    bytes.append(UInt8(ascii: "{"))
                    open.append(.object(members, 0))
                }
            }
            guard let top = open.popLast() else { return }
            switch top {
            case .array(let elements, let position):
                if position == elements.count {
                    bytes.append(UInt8(ascii: "]"))
                    continue
                }
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                open.append(.array(elements, position + 1))
                next = elements[position]
            case .object(let members, let position):
                if position == members.count {
                    bytes.append(UInt8(ascii: "}"))
                    continue
                }
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(members[position].key)
                bytes.append(UInt8(ascii: ":"))
                open.append(.object(members, position + 1))
                next = members[position].value
            }
        }
    }

    private mutating func append(_ ascii: String) {
        bytes.append(contentsOf: ascii.utf8)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendUnicodeEscape(_ unit: UInt16) {
        append("\\u")
        for shift: UInt16 in [12, 8, 4, 0] { bytes.append(Self.hexDigits[Int(unit >> shift & 0xF)]) }
    }
}
