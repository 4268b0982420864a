/// A strict RFC 8259 JSON parser that never traps and keeps member order (see `JSONValue`).
///
/// Accepts what PHP's `json_decode` accepts: any value at top level, whitespace around it, UTF-8
/// only, no control characters in strings, surrogate escapes only in pairs. Nesting is bounded by
/// `maxDepth` (511 containers: PHP's default depth 512 counts the innermost value's level too) and the
/// parser is iterative, so depth costs heap only.
public enum JSONParser {
    /// Arrays/objects nested at most, as PHP `json_decode` allows with its default `$depth = 512`: PHP
    /// refuses 512 nested containers (`[[…]]` needs depth 3), so 511 do and 512 do not parse. Found by
    /// the differential test against PHP (`JSONDifferentialTests`).
    public static let defaultMaxDepth = 511

    /// The JSON value that is the whole of `bytes`, or nil when they are not exactly one valid JSON
    /// document or nest deeper than `maxDepth` arrays/objects.
    public static func parse(_ bytes: borrowing Span<UInt8>, maxDepth: Int = defaultMaxDepth) -> JSONValue? {
        var parser = JSONParseState(maxDepth: maxDepth)
        return parser.run(bytes)
    }

    /// The JSON value that is the whole of `bytes`, or nil.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) -> JSONValue? {
        parse(bytes.span, maxDepth: maxDepth)
    }

    /// The JSON value that is the whole of `text`, or nil.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) -> JSONValue? {
        parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// Length of the RFC 8259 number at `start`
    /// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`), or nil.
    static func numberLength(_ bytes: borrowing Span<UInt8>, from start: Int) -> Int? {
        var position = start
        func digits(_ bytes: borrowing Span<UInt8>, _ position: inout Int) -> Int {
            let first = position
            while position < bytes.count && bytes[position] >= UInt8(ascii: "0") && bytes[position] <= UInt8(ascii: "9")
            {
                position += 1
            }
            return position - first
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { return nil }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            guard digits(bytes, &position) > 0 else { return nil }
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits(bytes, &position) > 0 else { return nil }
        }
        if position < bytes.count && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
            {
                position += 1
            }
            guard digits(bytes, &position) > 0 else { return nil }
        }
        return position - start
    }
}

/// The state of one `JSONParser` run: position and the stack of open containers.
struct JSONParseState {
    /// An open array or object. Its entries grow in place on the stack (`open[last]`): taking the
    /// array out of an enum payload and putting it back copied it per element in unoptimised builds
    /// (quadratic in the element count, reachable before authentication through the auth JSON).
    private struct Container {
        var isObject: Bool
        var elements: [JSONValue] = []
        var members: [(key: String, value: JSONValue)] = []
        var pendingKey = ""
    }

    private let maxDepth: Int
    private var position = 0
    private var open: [Container] = []

    init(maxDepth: Int) {
        self.maxDepth = maxDepth
    }

    mutating func run(_ input: borrowing Span<UInt8>) -> JSONValue? {
        while true {
            skipWhitespace(input)
            guard position < input.count else { return nil }
            var value: JSONValue
            switch input[position] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = input[position] == UInt8(ascii: "{")
                guard open.count < maxDepth else { return nil }
                position += 1
                skipWhitespace(input)
                if isObject {
                    if consume(input, "}") {
                        value = .object([])
                    } else {
                        guard let key = readMemberName(input) else { return nil }
                        open.append(Container(isObject: true, pendingKey: key))
                        continue
                    }
                } else {
                    if consume(input, "]") {
                        value = .array([])
                    } else {
                        open.append(Container(isObject: false))
                        continue
                    }
                }
            case UInt8(ascii: "\""):
                guard let string = readString(input) else { return nil }
                value = .string(string)
            case UInt8(ascii: "t"):
                guard consumeWord(input, "true") else { return nil }
                value = .bool(true)
            case UInt8(ascii: "f"):
                guard consumeWord(input, "false") else { return nil }
                value = .bool(false)
            case UInt8(ascii: "n"):
                guard consumeWord(input, "null") else { return nil }
                value = .null
            default:
                guard let length = JSONParser.numberLength(input, from: position) else { return nil }
                var text = ""
                text.reserveCapacity(length)
                for index in position..<(position + length) { text.unicodeScalars.append(Unicode.Scalar(input[index])) }
                position += length
                value = .number(JSONNumber(validatedText: text))
            }
            // Deliver the value into the open containers, closing those that end here.
            while true {
                skipWhitespace(input)
                guard let top = open.indices.last else {
                    return position == input.count ? value : nil
                }
                if !open[top].isObject {
                    open[top].elements.append(value)
                    if consume(input, ",") {
                        // The next element follows.
                    } else if consume(input, "]") {
                        value = .array(open.removeLast().elements)
                        continue
                    } else {
                        return nil
                    }
                } else {
                    open[top].members.append((open[top].pendingKey, value))
                    if consume(input, ",") {
                        skipWhitespace(input)
                        guard let next = readMemberName(input) else { return nil }
                        open[top].pendingKey = next
                    } else if consume(input, "}") {
                        value = .object(open.removeLast().members)
                        continue
                    } else {
                        return nil
                    }
                }
                break
            }
        }
    }

    /// `"name"` `:` of an object member.
    private mutating func readMemberName(_ input: borrowing Span<UInt8>) -> String? {
        guard position < input.count, input[position] == UInt8(ascii: "\""), let key = readString(input) else {
            return nil
        }
        skipWhitespace(input)
        guard consume(input, ":") else { return nil }
        return key
    }

    /// A string starting at the opening quote.
    private mutating func readString(_ input: borrowing Span<UInt8>) -> String? {
        position += 1
        var bytes: [UInt8] = []
        while true {
            guard position < input.count else { return nil }
            let byte = input[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < input.count else { return nil }
                let escape = input[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escape)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    guard let scalar = readUnicodeEscape(input) else { return nil }
                    bytes.append(contentsOf: String(Character(scalar)).utf8)
                default: return nil
                }
            case 0x00..<0x20:
                return nil
            default:
                bytes.append(byte)
            }
        }
    }

    /// The scalar of `XXXX` after `\u`, reading a second `\uXXXX` for a surrogate pair.
    private mutating func readUnicodeEscape(_ input: borrowing Span<UInt8>) -> Unicode.Scalar? {
        guard let unit = readHex4(input) else { return nil }
        switch unit {
        case 0xD800...0xDBFF:
            guard consume(input, "\\"), consume(input, "u"), let low = readHex4(input), (0xDC00...0xDFFF).contains(low)
            else { return nil }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        case 0xDC00...0xDFFF:
            return nil
        default:
            return Unicode.Scalar(unit)
        }
    }

    private mutating func readHex4(_ input: borrowing Span<UInt8>) -> UInt32? {
        guard input.count - position >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = input[position]
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(nibble)
            position += 1
        }
        return value
    }

    private mutating func skipWhitespace(_ input: borrowing Span<UInt8>) {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func consume(_ input: borrowing Span<UInt8>, _ ascii: Unicode.Scalar) -> Bool {
        guard position < input.count, input[position] == UInt8(ascii: ascii) else { return false }
        position += 1
        return true
    }

    private mutating func consumeWord(_ input: borrowing Span<UInt8>, _ word: String) -> Bool {
        var offset = position
        for byte in word.utf8 {
            guard offset < input.count, input[offset] == byte else { return false }
            offset += 1
        }
        position = offset
        return true
    }
}
