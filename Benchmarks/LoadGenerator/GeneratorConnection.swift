/// One generator connection: a few integers, kept in a flat table indexed by its direct descriptor.
struct GeneratorConnection {
    enum Phase: UInt8 {
        case free, connecting, handshaking, open, closing
    }

    var phase = Phase.free
    /// Changes each time the slot is reused, so a late completion of the previous occupant is ignored.
    var generation: UInt32 = 0
    var stream = ServerStream(framing: .tcp)
    /// Verification echoes sent and not yet answered.
    var awaitingReplies: UInt16 = 0
    /// Echo messages in flight, and the ring positions of the next send and the next reply.
    var inFlight: UInt16 = 0
    var sendIndex: UInt32 = 0
    var replyIndex: UInt32 = 0
    /// Messages received that were neither verification nor echo replies (broadcast deliveries).
    var unsolicited: UInt32 = 0
}

/// What a completion was for: the top byte of its user_data (| kind 8 | generation 24 | slot 32 |).
enum CompletionKind: UInt8 {
    case ignored = 0
    case connect = 1
    case receive = 2
    case send = 3
    case close = 4
    case control = 5
}

@inline(__always)
func userData(_ kind: CompletionKind, slot: UInt32, generation: UInt32) -> UInt64 {
    UInt64(kind.rawValue) << 56 | UInt64(generation & 0xFF_FFFF) << 32 | UInt64(slot)
}
