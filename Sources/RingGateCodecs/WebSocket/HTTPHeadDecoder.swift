/// Finds the end of the HTTP request head that opens a WebSocket connection (RFC 6455 §4.1,
/// RFC 9112 §2.1): the bytes up to and including the first `\r\n\r\n`.
///
/// Like `WebSocketDecoder` it holds no bytes, only its progress, and reports the head's bytes as
/// `.messageBytes` ranges of each input; the caller collects them (the head is small and bounded
/// by `Options.maxHeadLength`) and parses them with `WebSocketUpgradeRequest.parse(head:)`. The
/// event that ends the head has `isMessageEnd` and a `nextOffset` just after it; bytes from there
/// on are WebSocket frames for a `WebSocketDecoder` (clients may send frames right behind the
/// request). Once the head is complete the decoder is back at its initial state.
public struct HTTPHeadDecoder: Equatable, Sendable {
    /// Limits for request heads, per listener.
    public struct Options: Equatable, Sendable {
        /// Longest request head accepted, including the final `\r\n\r\n`. PHP has no limit (spec
        /// §8.3); 16 KiB holds any browser's request with its cookies.
        public var maxHeadLength: Int
        /// Accept any request method (1–16 uppercase letters and a space) instead of only `GET`: a
        /// listener that serves a page to plain HTTP requests answers other methods with 405 itself.
        public var acceptsAnyMethod: Bool

        /// Options with the given limit.
        public init(maxHeadLength: Int = 16_384, acceptsAnyMethod: Bool = false) {
            self.maxHeadLength = maxHeadLength
            self.acceptsAnyMethod = acceptsAnyMethod
        }
    }

    /// Head bytes seen so far.
    var headLength: Int = 0
    /// How much of `\r\n\r\n` the last bytes matched (0–3).
    var terminatorMatched: UInt8 = 0
    /// Whether the method at the start of the head was checked completely.
    var methodChecked = false

    /// A decoder at the start of a request.
    public init() {}

    /// Scans `input` from `offset` for the end of the head.
    ///
    /// Returns `.messageBytes(range, isMessageEnd: true)` for the bytes that complete the head,
    /// `.messageBytes(range, isMessageEnd: false)` when the head continues in the next input, and
    /// `.needMoreInput` when `offset` is at the end of `input`.
    ///
    /// Throws `.badHandshake` as soon as the first bytes differ from `GET` (workerman answers
    /// those with 400) or, under `acceptsAnyMethod`, are not an uppercase method and a space; and
    /// `.headTooLarge` when the head would exceed `options.maxHeadLength`.
    public mutating func decode(
        _ input: Span<UInt8>,
        from offset: Int,
        options: Options
    ) throws(ProtocolError) -> DecodeStep {
        precondition(offset >= 0 && offset <= input.count, "decode offset must lie within the input")
        guard offset < input.count else { return DecodeStep(.needMoreInput, nextOffset: offset) }
        var index = offset
        while index < input.count {
            let byte = input[index]
            if !methodChecked { try checkMethod(byte, anyMethod: options.acceptsAnyMethod) }
            if headLength >= options.maxHeadLength { throw .headTooLarge }
            headLength &+= 1
            index &+= 1
            if byte == (terminatorMatched & 1 == 0 ? Self.cr : Self.lf) {
                terminatorMatched &+= 1
            } else {
                terminatorMatched = byte == Self.cr ? 1 : 0
            }
            if terminatorMatched == 4 {
                self = HTTPHeadDecoder()
                return DecodeStep(.messageBytes(offset..<index, isMessageEnd: true), nextOffset: index)
            }
        }
        return DecodeStep(.messageBytes(offset..<index, isMessageEnd: false), nextOffset: index)
    }

    /// Checks the head's byte at `headLength`, which is part of the method.
    private mutating func checkMethod(_ byte: UInt8, anyMethod: Bool) throws(ProtocolError) {
        guard anyMethod else {
            // Workerman only checks the prefix "GET". (The position check only matters for a decoder
            // restored from a takeover snapshot taken under `acceptsAnyMethod`: it must fail, not trap.)
            guard headLength < Self.method.count, byte == Self.method[headLength] else { throw .handshakeNotGet }
            methodChecked = headLength == Self.method.count - 1
            return
        }
        if byte == UInt8(ascii: " ") && headLength > 0 {
            methodChecked = true
        } else if headLength >= Self.maxMethodLength || byte < UInt8(ascii: "A") || byte > UInt8(ascii: "Z") {
            throw .requestNotHTTP
        }
    }

    private static let method: [UInt8] = Array("GET".utf8)
    /// Longest method accepted under `acceptsAnyMethod`; browsers' longest is `OPTIONS`, and a
    /// non-HTTP peer is refused within a few bytes instead of at the head limit.
    static let maxMethodLength = 16
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
}
