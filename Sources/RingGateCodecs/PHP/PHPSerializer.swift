/// Writes PHP serializations (spec §9.1) into a byte buffer, one token at a time.
///
/// Replies to the gateway's queries are serialized arrays of tables it already holds (cids, uids,
/// sessions as `s:` strings, …); building them token by token avoids materialising a `PHPValue` tree
/// per query. `write(_:)` serializes a whole value.
public struct PHPSerializedWriter: Sendable {
    /// The serialization so far.
    public var bytes: [UInt8]

    /// A writer appending to `bytes`.
    public init(bytes: [UInt8] = []) {
        self.bytes = bytes
    }

    /// `N;`
    public mutating func writeNull() {
        append("N;")
    }

    /// `b:0;` or `b:1;`
    public mutating func writeBool(_ value: Bool) {
        append(value ? "b:1;" : "b:0;")
    }

    /// `i:N;`
    public mutating func writeInt(_ value: Int64) {
        append("i:")
        appendDecimal(value)
        bytes.append(UInt8(ascii: ";"))
    }

    /// `d:text;`
    public mutating func writeFloat(_ value: PHPFloat) {
        append("d:")
        bytes.append(contentsOf: value.text)
        bytes.append(UInt8(ascii: ";"))
    }

    /// `s:len:"bytes";` — binary-safe, no escaping (the length says where the string ends).
    public mutating func writeString(_ value: borrowing Span<UInt8>) {
        writeStringHeader(count: value.count)
        GatewayBytes.append(value, to: &bytes)
        append("\";")
    }

    /// `s:len:"bytes";`
    public mutating func writeString(_ value: [UInt8]) {
        writeStringHeader(count: value.count)
        bytes.append(contentsOf: value)
        append("\";")
    }

    /// `s:len:"text";` with the UTF-8 bytes of `value`.
    public mutating func writeString(_ value: String) {
        writeString(Array(value.utf8))
    }

    /// An array key: `i:N;` or `s:len:"…";`. Callers holding a raw string key should normalise it
    /// first (`PHPKey(normalizing:)`), as PHP would have.
    public mutating func writeKey(_ key: PHPKey) {
        switch key {
        case .int(let value): writeInt(value)
        case .string(let value): writeString(value)
        }
    }

    /// `a:count:{` — follow with `count` key/value pairs, then `endArray()`.
    public mutating func beginArray(count: Int) {
        precondition(count >= 0, "an array has a non-negative count")
        append("a:")
        appendDecimal(Int64(count))
        append(":{")
    }

    /// `}` closing an array (no `;`).
    public mutating func endArray() {
        bytes.append(UInt8(ascii: "}"))
    }

    /// The token's bytes verbatim.
    public mutating func writeOpaque(_ value: PHPOpaqueValue) {
        bytes.append(contentsOf: value.bytes)
    }

    /// Serializes `value`, arrays included. Iterative, so nesting depth costs heap, not stack.
    public mutating func write(_ value: PHPValue) {
        var open: [(array: PHPArray, position: Int)] = []
        var next: PHPValue? = value
        while true {
            if let current = next {
                next = nil
                switch current {
                case .null: writeNull()
                case .bool(let flag): writeBool(flag)
                case .int(let integer): writeInt(integer)
                case .float(let float): writeFloat(float)
                case .string(let string): writeString(string)
                case .opaque(let token): writeOpaque(token)
                case .array(let array):
                    beginArray(count: array.count)
                    open.append((array, 0))
                }
            }
            guard let top = open.indices.last else { return }
            let position = open[top].position
            if position == open[top].array.count {
                endArray()
                open.removeLast()
                continue
            }
            let entry = open[top].array[position: position]
            open[top].position = position + 1
            writeKey(entry.key)
            next = entry.value
        }
    }

    private mutating func writeStringHeader(count: Int) {
        append("s:")
        appendDecimal(Int64(count))
        append(":\"")
    }

    /// Appends ASCII text; the literals used here are small strings, stored inline (no allocation).
    private mutating func append(_ ascii: String) {
        bytes.append(contentsOf: ascii.utf8)
    }

    private mutating func appendDecimal(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }
}

/// PHP `serialize` for `PHPValue` (spec §9.1).
public enum PHPSerializer {
    /// The exact bytes PHP's `serialize` produces for `value` (floats use their kept token text,
    /// opaque tokens are written verbatim).
    public static func serialize(_ value: PHPValue) -> [UInt8] {
        var writer = PHPSerializedWriter()
        writer.write(value)
        return writer.bytes
    }

    /// Appends the serialization of `value` to `buffer`.
    public static func serialize(_ value: PHPValue, into buffer: inout [UInt8]) {
        var writer = PHPSerializedWriter(bytes: buffer)
        buffer = []
        writer.write(value)
        buffer = writer.bytes
    }
}
