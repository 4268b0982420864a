/// The reasons a WebSocket connection is failed, with their RFC 6455 §7.4.1 close codes.
extension ProtocolError {
    static let webSocketReservedOpcode = ProtocolError(.invalidFrame, closeCode: 1002, reason: "reserved opcode")
    static let webSocketReservedBits = ProtocolError(
        .invalidFrame,
        closeCode: 1002,
        reason: "RSV bits set without a negotiated extension"
    )
    static let webSocketFragmentedControl = ProtocolError(
        .invalidFrame,
        closeCode: 1002,
        reason: "control frame without FIN"
    )
    static let webSocketControlTooLong = ProtocolError(
        .invalidFrame,
        closeCode: 1002,
        reason: "control frame payload longer than 125 bytes"
    )
    static let webSocketUnexpectedContinuation = ProtocolError(
        .invalidFrame,
        closeCode: 1002,
        reason: "continuation frame with no message in progress"
    )
    static let webSocketInterleavedMessage = ProtocolError(
        .invalidFrame,
        closeCode: 1002,
        reason: "new data message inside a fragmented message"
    )
    static let webSocketLengthTopBitSet = ProtocolError(
        .invalidFrame,
        closeCode: 1002,
        reason: "64-bit payload length with the most significant bit set"
    )
    static let webSocketUnmaskedFrame = ProtocolError(
        .unmaskedFrame, closeCode: 1002, reason: "client frame not masked")
    static let webSocketMessageTooLarge = ProtocolError(
        .messageTooLarge,
        closeCode: 1009,
        reason: "message longer than maxMessageLength"
    )
    static let webSocketInvalidUTF8 = ProtocolError(.invalidUTF8, closeCode: 1007, reason: "text message is not UTF-8")
    static let webSocketCloseOneByte = ProtocolError(
        .invalidFrame, closeCode: 1002, reason: "close frame with a 1-byte payload")
    static let webSocketCloseReasonNotUTF8 = ProtocolError(
        .invalidUTF8, closeCode: 1007, reason: "close reason is not UTF-8")
    static func webSocketCloseCodeNotAllowed(_ code: UInt16) -> ProtocolError {
        ProtocolError(.invalidFrame, closeCode: 1002, reason: "close code \(code) may not be sent by a peer")
    }
    static let webSocketTruncatedUTF8 = ProtocolError(
        .invalidUTF8,
        closeCode: 1007,
        reason: "text message ends inside a UTF-8 sequence"
    )
    static let headTooLarge = ProtocolError(.headTooLarge, reason: "HTTP request head longer than maxHeadLength")
    static let handshakeNotGet = ProtocolError(.badHandshake, reason: "request does not start with GET")
    static let requestNotHTTP = ProtocolError(
        .badHandshake, reason: "request does not start with an HTTP method and a space")
    static let handshakeUnterminated = ProtocolError(.badHandshake, reason: "request head does not end with CRLF CRLF")
}
