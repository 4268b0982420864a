/// One step of a streaming client decoder.
///
/// Decoders are small values kept in a connection's record. They are fed each received buffer and
/// report message bytes as ranges of that buffer, so a message that arrives whole is delivered
/// without a copy; the caller assembles messages that span several buffers. A decoder never holds
/// message bytes itself, only the few integers it needs to find the next boundary.
public struct DecodeStep: Equatable, Sendable {
    /// What was found.
    public var event: DecodeEvent
    /// Offset in the input at which the next call continues.
    public var nextOffset: Int

    public init(_ event: DecodeEvent, nextOffset: Int) {
        self.event = event
        self.nextOffset = nextOffset
    }
}

/// What a streaming decoder found in the bytes it was given.
public enum DecodeEvent: Equatable, Sendable {
    /// `range` of the input belongs to the current message; `isMessageEnd` when the message ends with
    /// it. A message that lies whole in one input arrives as a single event with `isMessageEnd`.
    /// Empty messages arrive as an empty range with `isMessageEnd`.
    case messageBytes(Range<Int>, isMessageEnd: Bool)
    /// WebSocket only: `range` is payload of a control frame (ping, pong or close), unmasked;
    /// `isFrameEnd` when the frame's payload ends with it.
    case controlBytes(Range<Int>, opcode: WebSocketOpcode, isFrameEnd: Bool)
    /// Every input byte from the offset on was consumed; call again with the next buffer.
    case needMoreInput
}

/// A WebSocket frame opcode (RFC 6455 §5.2).
public enum WebSocketOpcode: UInt8, Equatable, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA
}

/// Why a peer's bytes were refused. Every case closes the offending connection, with the WebSocket
/// close code when the connection speaks WebSocket; the gateway logs the reason and counts the kind.
public struct ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The family of mistake, used as a metrics label.
    public enum Kind: String, Equatable, Sendable, CaseIterable {
        case messageTooLarge = "message_too_large"
        case invalidLength = "invalid_length"
        case invalidFrame = "invalid_frame"
        case invalidUTF8 = "invalid_utf8"
        case unmaskedFrame = "unmasked_frame"
        case badHandshake = "bad_handshake"
        case headTooLarge = "head_too_large"
    }

    public var kind: Kind
    /// RFC 6455 close code to send, when the connection speaks WebSocket (1002, 1007, 1009).
    public var closeCode: UInt16
    /// Human-readable reason for the log line.
    public var reason: String

    public init(_ kind: Kind, closeCode: UInt16 = 1002, reason: String) {
        self.kind = kind
        self.closeCode = closeCode
        self.reason = reason
    }

    public var description: String { "\(kind.rawValue): \(reason)" }
}
