import RingGateCodecs

/// What a send command (5, 6, 14, 22) delivers to each recipient, after flag-bit-0 decoding (spec §2.3,
/// §4.4).
enum SendBody: Equatable {
    /// Bit 0 set: the packet body itself, byte for byte (no copy was made).
    case verbatim
    /// Bit 0 clear: the unserialized value turned into bytes.
    case converted([UInt8])
    /// Bit 0 clear and the value is null: nothing is sent (a deviation from workerman 5's text `null`).
    case nothing
    /// Bit 0 clear and the value cannot be delivered; PHP would crash (§4.4), the caller logs and counts.
    case dropped(SendBodyFailure)

    /// Decodes a send body. Bit 0 set → `.verbatim`. Bit 0 clear → unserialize, then: string → its
    /// bytes; int → decimal; float → its serialized token; true → `1`, false → empty; array → JSON with
    /// unescaped UTF-8 and escaped `/` (workerman 5's `json_encode(…, JSON_UNESCAPED_UNICODE)`); null →
    /// `.nothing`; an unserialize failure, object or unencodable array → `.dropped`.
    static func decode(_ body: borrowing Span<UInt8>, flags: GatewayFlags) -> SendBody {
        if flags.contains(.bodyIsScalar) { return .verbatim }
        guard let value = PHPUnserializer.unserialize(body) else { return .dropped(.invalidSerialization) }
        switch value {
        case .string(let bytes): return .converted(bytes)
        case .int(let integer): return .converted(Array(String(integer).utf8))
        case .float(let float): return .converted(float.text)
        case .bool(let flag): return .converted(flag ? [UInt8(ascii: "1")] : [])
        case .null: return .nothing
        case .opaque: return .dropped(.unsupportedValue)
        case .array(let array):
            guard let json = PHPJSONEncoder.encode(array) else { return .dropped(.unencodableArray) }
            return .converted(json)
        }
    }
}

/// Why a send body was dropped.
enum SendBodyFailure: Equatable {
    /// Bit 0 clear but the body is not a PHP serialization (PHP gets `false`).
    case invalidSerialization
    /// An object, enum or reference: nothing a client protocol can carry.
    case unsupportedValue
    /// An array `json_encode` would refuse: invalid UTF-8, INF/NAN, an object inside, or nesting beyond 512.
    case unencodableArray
}

/// PHP's `json_encode($array, JSON_UNESCAPED_UNICODE)` for unserialized arrays (workerman 5's
/// conversion of a non-scalar WebSocket send, spec §4.4).
///
/// Lists (keys 0, 1, 2, … in order) become JSON arrays, other arrays objects with their keys as strings.
/// Floats print as PHP's `serialize_precision = -1` shortest form with a lowercase `e` (`1.0e+25`).
/// `/` is escaped, non-ASCII is written raw except U+2028/U+2029, which PHP still escapes.
enum PHPJSONEncoder {
    /// `json_encode`'s default depth.
    static let maxDepth = 512

    /// The JSON text of `array`, or nil where `json_encode` fails.
    static func encode(_ array: PHPArray) -> [UInt8]? {
        var writer = JSONWriter(escapesSlashes: true, escapesNonASCII: false)
        var open: [(array: PHPArray, position: Int, isList: Bool)] = []
        var next: PHPValue? = .array(array)
        while true {
            if let value = next {
                next = nil
                switch value {
                case .null: writer.bytes.append(contentsOf: "null".utf8)
                case .bool(let flag): writer.bytes.append(contentsOf: (flag ? "true" : "false").utf8)
                case .int(let integer): writer.bytes.append(contentsOf: String(integer).utf8)
                case .float(let float):
                    guard let text = jsonText(float) else { return nil }
                    writer.bytes.append(contentsOf: text)
                case .string(let bytes):
                    guard writeString(bytes, to: &writer) else { return nil }
                case .opaque: return nil
                case .array(let nested):
                    guard open.count < maxDepth else { return nil }
                    let isList = nested.isList
                    writer.bytes.append(UInt8(ascii: isList ? "[" : "{"))
                    open.append((nested, 0, isList))
                }
            }
            guard let top = open.indices.last else { return writer.bytes }
            let (current, position, isList) = open[top]
            if position == current.count {
                writer.bytes.append(UInt8(ascii: isList ? "]" : "}"))
                open.removeLast()
                continue
            }
            if position > 0 { writer.bytes.append(UInt8(ascii: ",")) }
            let entry = current[position: position]
            if !isList {
                guard writeString(entry.key.textBytes, to: &writer) else { return nil }
                writer.bytes.append(UInt8(ascii: ":"))
            }
            open[top].position = position + 1
            next = entry.value
        }
    }

    /// A quoted JSON string; false for invalid UTF-8 (PHP's `JSON_ERROR_UTF8`).
    private static func writeString(_ bytes: [UInt8], to writer: inout JSONWriter) -> Bool {
        guard let text = String(validating: bytes, as: UTF8.self) else { return false }
        writer.bytes.append(UInt8(ascii: "\""))
        var segment = ""
        for scalar in text.unicodeScalars {
            if scalar.value == 0x2028 || scalar.value == 0x2029 {
                writer.writeEscapedContents(segment)
                segment = ""
                writer.bytes.append(contentsOf: (scalar.value == 0x2028 ? "\\u2028" : "\\u2029").utf8)
            } else {
                segment.unicodeScalars.append(scalar)
            }
        }
        writer.writeEscapedContents(segment)
        writer.bytes.append(UInt8(ascii: "\""))
        return true
    }

    /// PHP's JSON text of a float: the shortest round-trip form with `e` for the exponent; nil for
    /// INF and NAN, which `json_encode` refuses.
    private static func jsonText(_ float: PHPFloat) -> [UInt8]? {
        let value = float.value
        guard value.isFinite else { return nil }
        return PHPFloat(value).text.map { $0 == UInt8(ascii: "E") ? UInt8(ascii: "e") : $0 }
    }
}
