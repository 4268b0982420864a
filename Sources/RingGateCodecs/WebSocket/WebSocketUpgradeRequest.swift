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
        request.headers.reserveCapacity(12)  // a browser's upgrade request has 10–12 fields
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
        // The first two spaces split the line; the version keeps any further ones.
        var spaces = (first: -1, second: -1)
        for index in line where head[index] == UInt8(ascii: " ") {
            if spaces.first < 0 {
                spaces.first = index
            } else {
                spaces.second = index
                break
            }
        }
        let methodEnd = spaces.first < 0 ? line.upperBound : spaces.first
        method = Self.string(head, line.lowerBound..<methodEnd)
        guard spaces.first >= 0 else {
            target = ""
            httpVersion = ""
            hasWellFormedRequestLine = false
            return
        }
        let targetEnd = spaces.second < 0 ? line.upperBound : spaces.second
        target = Self.string(head, spaces.first + 1..<targetEnd)
        httpVersion = spaces.second < 0 ? "" : Self.string(head, spaces.second + 1..<line.upperBound)
        hasWellFormedRequestLine =
            spaces.second >= 0 && !method.isEmpty && !target.isEmpty && !httpVersion.isEmpty
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
        // Valid UTF-8 (every real request) is copied in one go; anything else is repaired below.
        if let text = try? UTF8Span(validating: head.extracting(range)) { return String(copying: text) }
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
        guard !supported.isEmpty else { return nil }
        return requestedSubprotocols.first { supported.contains($0) }
    }

    /// Whether a comma-separated header named `header` lists `token` (ASCII case-insensitive).
    func hasToken(_ token: String, inHeader header: String) -> Bool {
        headers.contains { field in
            Self.equalsIgnoringCase(field.name, header) && Self.list(field.value, containsToken: token)
        }
    }

    /// Whether the comma-separated `list` has an element equal to `token` (ASCII case-insensitive)
    /// once trimmed of spaces and tabs: `tokens(list).contains(token)`, without building the tokens
    /// (every upgrade request is checked this way twice).
    static func list(_ list: String, containsToken token: String) -> Bool {
        let bytes = list.utf8.span
        let wanted = token.utf8.span
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: ",") { end += 1 }
            var first = start
            var last = end
            while first < last && isSpaceOrTab(bytes[first]) { first += 1 }
            while last > first && isSpaceOrTab(bytes[last - 1]) { last -= 1 }
            if last - first == wanted.count && !wanted.isEmpty {
                var index = 0
                while index < wanted.count && lowercased(bytes[first + index]) == lowercased(wanted[index]) {
                    index += 1
                }
                if index == wanted.count { return true }
            }
            start = end + 1
        }
        return false
    }

    private static func isSpaceOrTab(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// The elements of a comma-separated list, trimmed, empty ones dropped (RFC 9110 §5.6.1).
    static func tokens(_ value: String) -> [String] {
        value.split(separator: ",").compactMap { element in
            let trimmed = element.trimming(while: { $0 == " " || $0 == "\t" })
            return trimmed.isEmpty ? nil : String(trimmed)
        }
    }

    static func equalsIgnoringCase(_ lhs: String, _ rhs: String) -> Bool {
        // Byte spans, lengths first: most header names differ in length from the one looked for.
        let left = lhs.utf8.span
        let right = rhs.utf8.span
        guard left.count == right.count else { return false }
        for index in left.indices where lowercased(left[index]) != lowercased(right[index]) { return false }
        return true
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
