/// A JSON value that keeps what PHP's `json_decode` distinguishes and what `JSONSerialization` loses:
/// object member order (PHP arrays are ordered, and SELECT's `where` keys are processed in JSON
/// order, spec §4.9), duplicate members, and whether a number was written as an integer.
public enum JSONValue: Sendable {
    /// `null`
    case null
    /// `true` / `false`
    case bool(Bool)
    /// A number with its original text.
    case number(JSONNumber)
    /// A string (always valid Unicode: lone surrogate escapes are rejected, like PHP).
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object's members in document order, duplicates included.
    case object([(key: String, value: JSONValue)])

    /// The value of the member `key` of an object; the last one when the key repeats, as PHP's
    /// `json_decode` keeps. Nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    /// The string of a `.string`, else nil.
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// What PHP's `foreach` visits: an array's elements or an object's member values (for duplicate
    /// keys, PHP keeps the last value at the first key's position), else nil.
    public var containerValues: [JSONValue]? {
        switch self {
        case .array(let elements): return elements
        case .object(let members): return Self.phpOrderedMembers(members).map(\.value)
        default: return nil
        }
    }

    /// An object's members as PHP's `json_decode(…, true)` stores them: a repeated key keeps its first
    /// position and takes its last value.
    public static func phpOrderedMembers(
        _ members: [(key: String, value: JSONValue)]
    ) -> [(key: String, value: JSONValue)] {
        var positions: [String: Int] = [:]
        var result: [(key: String, value: JSONValue)] = []
        result.reserveCapacity(members.count)
        for member in members {
            if let position = positions[member.key] {
                result[position].value = member.value
            } else {
                positions[member.key] = result.count
                result.append(member)
            }
        }
        return result
    }
}

extension JSONValue: Equatable {
    /// Structural equality; object members are compared in order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}

/// A JSON number as written, e.g. `42`, `-0`, `1.5e3`, `39069102337167360123`.
public struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The number's text exactly as it appeared.
    public let text: String

    /// Wraps number text; nil unless it matches the RFC 8259 number grammar.
    public init?(text: String) {
        let bytes = Array(text.utf8)
        guard JSONParser.numberLength(bytes.span, from: 0) == bytes.count else { return nil }
        self.text = text
    }

    /// An integer number.
    public init(_ value: Int64) {
        self.text = String(value)
    }

    init(validatedText: String) {
        self.text = validatedText
    }

    /// Whether the text has neither fraction nor exponent. PHP decodes such a number as an int when it
    /// fits 64 bits, else as a float.
    public var isInteger: Bool {
        !text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
    }

    /// The value when the number is an integer within `Int64` (what PHP decodes as an int), else nil.
    public var int64Value: Int64? {
        isInteger ? Int64(text) : nil
    }

    /// The value as a double.
    public var doubleValue: Double {
        Double(text) ?? 0
    }

    /// The number's text.
    public var description: String { text }
}
