/// The HTTP request that opens a WebSocket connection (RFC 6455 §4.1), parsed from the head that
/// `HTTPHeadDecoder` delimited.
///
/// Parsing is lenient and total: every line is kept as sent (names in their original case and
/// order, because the gateway later builds PHP's `$_SERVER` array from them), and what the request
/// must contain is decided separately by `rejection(under:)`, whose rules depend on the listener's
/// validation mode. Bytes that are not UTF-8 are repaired with U+FFFD when turned into strings.
public struct WebSocketUpgradeRequest: Sendable {
    /// The request method, e.g. `GET`.
    public var method: String
    /// The request target (URI) as sent, e.g. `/chat?token=abc`.
    public var target: String
    /// The protocol version as sent, e.g. `HTTP/1.1`.
    public var httpVersion: String
    /// Header fields in the order sent; names keep their case, values are trimmed of surrounding
    /// spaces and tabs (RFC 9110 §5.5).
    public var headers: [(name: String, value: String)]
    /// Whether the request line has the three parts `method SP target SP version`.
    public var hasWellFormedRequestLine: Bool
    /// Header lines that are not `name: value` (no colon, empty or spaced name, obsolete line
    /// folding). Workerman ignores them; RFC validation rejects the request.
    public var malformedLineCount: Int

    /// Parses a request head: the request line, then header lines, ending with an empty line.
    ///
    /// Throws `.badHandshake` only when `head` does not end with `\r\n\r\n` (`HTTPHeadDecoder`
    /// never hands out such a head); anything else parses and is judged by `rejection(under:)`.
    public static func parse(head: Span<UInt8>) throws(ProtocolError) -> WebSocketUpgradeRequest {
        guard endsWithBlankLine(head) else { throw .handshakeUnterminated }
        var lines = LineCursor(end: head.count &- 2)  // the last CRLF ends the blank line
        let requestLine = lines.next(in: head) ?? 0..<0

        var request = WebSocketUpgradeRequest(
            method: "",
            target: "",
            httpVersion: "",
            headers: [],
            hasWellFormedRequestLine: false,
            malformedLineCount: 0
        )
        request.parseRequestLine(head, requestLine)
        while let line = lines.next(in: head) {
            if let field = headerField(head, line) {
                request.headers.append(field)
            } else {
                request.malformedLineCount += 1
            }
        }
        return request
    }

    /// `method SP target SP version`; with fewer spaces the missing parts stay empty.
    private mutating func parseRequestLine(_ head: Span<UInt8>, _ line: Range<Int>) {
        var parts: [Range<Int>] = []
        var start = line.lowerBound
        for index in line where head[index] == UInt8(ascii: " ") && parts.count < 2 {
            parts.append(start..<index)
            start = index + 1
        }
        parts.append(start..<line.upperBound)
        method = Self.string(head, parts[0])
        target = parts.count > 1 ? Self.string(head, parts[1]) : ""
        httpVersion = parts.count > 2 ? Self.string(head, parts[2]) : ""
        hasWellFormedRequestLine =
            parts.count == 3 && parts.allSatisfy { !$0.isEmpty }
            && !httpVersion.utf8.contains(UInt8(ascii: " "))
    }

    /// `name: value` with a non-empty name free of whitespace, or `nil`.
    private static func headerField(_ head: Span<UInt8>, _ line: Range<Int>) -> (name: String, value: String)? {
        var colon: Int? = nil
        for index in line where head[index] == UInt8(ascii: ":") {
            colon = index
            break
        }
        guard let colon, colon > line.lowerBound else { return nil }
        for index in line.lowerBound..<colon where isWhitespace(head[index]) { return nil }
        var valueStart = colon + 1
        var valueEnd = line.upperBound
        while valueStart < valueEnd && isWhitespace(head[valueStart]) { valueStart += 1 }
        while valueEnd > valueStart && isWhitespace(head[valueEnd - 1]) { valueEnd -= 1 }
        return (string(head, line.lowerBound..<colon), string(head, valueStart..<valueEnd))
    }

    private static func endsWithBlankLine(_ head: Span<UInt8>) -> Bool {
        let count = head.count
        return count >= 4 && head[count - 4] == 0x0D && head[count - 3] == 0x0A && head[count - 2] == 0x0D
            && head[count - 1] == 0x0A
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    private static func string(_ head: Span<UInt8>, _ range: Range<Int>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(range.count)
        for index in range { bytes.append(head[index]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Walks the CRLF-terminated lines of a head.
    private struct LineCursor {
        var position = 0
        let end: Int

        /// The next line without its CRLF, or `nil` after the last one.
        mutating func next(in head: Span<UInt8>) -> Range<Int>? {
            guard position < end else { return nil }
            var index = position
            while index + 1 < end && !(head[index] == 0x0D && head[index + 1] == 0x0A) { index += 1 }
            let lineEnd = index + 1 < end ? index : end
            defer { position = lineEnd + 2 }
            return position..<lineEnd
        }
    }
}

extension WebSocketUpgradeRequest {
    /// The value of the first header named `name` (compared without regard to ASCII case).
    public func value(forHeader name: String) -> String? {
        headers.first { Self.equalsIgnoringCase($0.name, name) }?.value
    }

    /// The values of every header named `name`, in order (fields may repeat, RFC 9110 §5.3).
    public func values(forHeader name: String) -> [String] {
        headers.filter { Self.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    /// `Sec-WebSocket-Key`, the client's nonce that the accept value answers.
    public var key: String? { value(forHeader: "Sec-WebSocket-Key") }

    /// Whether an `Upgrade` header lists the `websocket` token (RFC 6455 §4.2.1 item 3).
    public var isWebSocketUpgrade: Bool { hasToken("websocket", inHeader: "Upgrade") }

    /// Whether a `Connection` header lists the `upgrade` token (RFC 6455 §4.2.1 item 4).
    public var hasConnectionUpgrade: Bool { hasToken("upgrade", inHeader: "Connection") }

    /// The subprotocols the client offers in `Sec-WebSocket-Protocol`, in its order of preference.
    public var requestedSubprotocols: [String] {
        values(forHeader: "Sec-WebSocket-Protocol").flatMap(Self.tokens)
    }

    /// The client's most preferred subprotocol among `supported` (matched exactly, RFC 6455
    /// §4.2.2), to echo in the 101 response; browsers fail the connection when a requested
    /// subprotocol is not echoed.
    public func selectSubprotocol(from supported: [String]) -> String? {
        requestedSubprotocols.first { supported.contains($0) }
    }

    /// Whether a comma-separated header named `header` lists `token` (ASCII case-insensitive).
    func hasToken(_ token: String, inHeader header: String) -> Bool {
        values(forHeader: header).contains { value in
            Self.tokens(value).contains { Self.equalsIgnoringCase($0, token) }
        }
    }

    /// The elements of a comma-separated list, trimmed, empty ones dropped (RFC 9110 §5.6.1).
    static func tokens(_ value: String) -> [String] {
        value.split(separator: ",").compactMap { element in
            let trimmed = element.trimming(while: { $0 == " " || $0 == "\t" })
            return trimmed.isEmpty ? nil : String(trimmed)
        }
    }

    static func equalsIgnoringCase(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8) { lowercased($0) == lowercased($1) }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}

extension Substring {
    /// The substring without leading and trailing characters matching `predicate`.
    fileprivate func trimming(while predicate: (Character) -> Bool) -> Substring {
        guard let first = firstIndex(where: { !predicate($0) }) else { return self[endIndex...] }
        guard let last = lastIndex(where: { !predicate($0) }) else { return self[endIndex...] }
        return self[first...last]
    }
}
