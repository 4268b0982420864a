/// Standard base64 (RFC 4648 §4, with padding): the `Sec-WebSocket-Accept` value is a base64
/// SHA-1 digest and `Sec-WebSocket-Key` a base64 nonce. Small enough not to need Foundation.
enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `bytes` in base64, padded with `=` to a multiple of 4 characters.
    static func encode(_ bytes: Span<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            output.append(alphabet[Int(group >> 18 & 0x3F)])
            output.append(alphabet[Int(group >> 12 & 0x3F)])
            output.append(remaining > 1 ? alphabet[Int(group >> 6 & 0x3F)] : UInt8(ascii: "="))
            output.append(remaining > 2 ? alphabet[Int(group & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// How many bytes padded base64 `text` decodes to, or `nil` if it is not padded base64.
    static func decodedByteCount(of text: String) -> Int? {
        let characters = Array(text.utf8)
        guard characters.count % 4 == 0 else { return nil }
        var padding = 0
        for (index, character) in characters.enumerated() {
            if character == UInt8(ascii: "=") {
                guard index >= characters.count - 2 else { return nil }
                padding += 1
            } else {
                guard padding == 0, isAlphabet(character) else { return nil }
            }
        }
        return characters.count / 4 * 3 - padding
    }

    private static func isAlphabet(_ character: UInt8) -> Bool {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            true
        default: false
        }
    }
}
