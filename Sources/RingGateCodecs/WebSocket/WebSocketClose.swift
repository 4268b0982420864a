/// The closing handshake (RFC 6455 §5.5.1, §7): which code the server answers a client's close
/// frame with, and close frames to send.
public enum WebSocketClose {
    /// The reply workerman sends to every close frame: close, status 1000 (spec §8.3).
    public static let normalClosureFrame: [UInt8] = [0x88, 0x02, 0x03, 0xE8]

    /// Decides the close code to answer a client's close frame with, given its whole payload
    /// (at most 125 bytes; the decoder rejects longer control frames).
    ///
    /// Strict (RFC 6455, Autobahn cases 7.x): an empty payload is answered with 1000; a 1-byte
    /// payload, or a code that may not be sent (`isValidReceivedCode`), with 1002; a reason that is
    /// not UTF-8 with 1007; anything else echoes the client's code. Lenient (workerman): always 1000.
    ///
    /// - Returns: the code to send, the code the client sent (if the payload holds one) and the
    ///   range of the reason within `payload`.
    public static func reply(
        toClosePayload payload: Span<UInt8>,
        strict: Bool
    ) -> (code: UInt16, receivedCode: UInt16?, reasonRange: Range<Int>) {
        guard payload.count >= 2 else {
            let code: UInt16 = payload.count == 1 && strict ? 1002 : 1000
            return (code, nil, payload.count..<payload.count)
        }
        let received = UInt16(payload[0]) << 8 | UInt16(payload[1])
        let reasonRange = 2..<payload.count
        guard strict else { return (1000, received, reasonRange) }
        guard isValidReceivedCode(received) else { return (1002, received, reasonRange) }
        guard UTF8Validator.isValid(payload, in: reasonRange) else { return (1007, received, reasonRange) }
        return (received, received, reasonRange)
    }

    /// What is wrong with a client's close frame under RFC 6455, or nil: the mistakes `reply(toClosePayload:strict:)`
    /// answers with 1002 or 1007, so that the shard can log and count them as the bad input they are.
    public static func problem(inClosePayload payload: Span<UInt8>) -> ProtocolError? {
        if payload.count == 1 { return .webSocketCloseOneByte }
        guard payload.count >= 2 else { return nil }
        let received = UInt16(payload[0]) << 8 | UInt16(payload[1])
        guard isValidReceivedCode(received) else { return .webSocketCloseCodeNotAllowed(received) }
        guard UTF8Validator.isValid(payload, in: 2..<payload.count) else { return .webSocketCloseReasonNotUTF8 }
        return nil
    }

    /// Whether a peer may send `code` in a close frame (RFC 6455 §7.4.1, §7.4.2 and the IANA
    /// registry): 1000–1003, 1007–1014 and the application ranges 3000–4999. 1004–1006 and 1015 are
    /// reserved or "never sent on the wire"; everything else below 3000 is unassigned.
    public static func isValidReceivedCode(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    /// A close frame carrying `code` and `reason` (truncated to whole characters within the
    /// 123 bytes a control frame leaves for it).
    public static func frame(code: UInt16, reason: String = "") -> [UInt8] {
        var payload: [UInt8] = [UInt8(truncatingIfNeeded: code >> 8), UInt8(truncatingIfNeeded: code)]
        for scalar in reason.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if payload.count + encoded.count > 125 { break }
            payload += encoded
        }
        return WebSocketFrameEncoder.frame(opcode: .close, payload: payload)
    }
}
