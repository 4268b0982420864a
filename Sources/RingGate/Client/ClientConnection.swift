import RingGateCodecs
import RingGateRuntime

/// One client's record in its shard's flat table: a fixed-size value, no references, no per-connection
/// task. The table index is the connection's direct-descriptor index.
///
/// 72 bytes: fields are declared largest-alignment-last so that the 21-byte decoder state ends within
/// 72 (see `ListenerConfigurationTests.clientConnectionRecordIs72Bytes`). The 16 bytes of traffic
/// figures (`ringgate connections`) are 4-byte fields, so they add no alignment padding: two 64-bit
/// counters would have made it 80.
struct ClientConnection {
    private static let noChunk = UInt32.max
    private static let holdsOutputFlag: UInt8 = 1
    private static let announcedFlag: UInt8 = 2
    private static let usesTLSFlag: UInt8 = 4
    private static let tlsEstablishedFlag: UInt8 = 8
    private static let flushScheduledFlag: UInt8 = 16

    /// Bumped each time the slot is freed; completions carry it (low 24 bits) and stale ones are dropped.
    var generation: UInt32 = 0
    /// IPv4 peer address (host order); 0 for IPv6 peers, as PHP puts 0 in client_ip.
    var peerIPv4: UInt32 = 0
    private var assemblyID = ClientConnection.noChunk
    var queue = SendQueuePool.Ends.empty
    var peerPort: UInt16 = 0
    var listener: UInt8 = 0
    private var flags: UInt8 = 0
    /// Low 32 bits of the bytes received and sent; the high 16 bits of each share `trafficHigh`.
    private var bytesInLow: UInt32 = 0
    private var bytesOutLow: UInt32 = 0
    /// Bits 32...47 of bytes in (low half) and bytes out (high half): 48-bit counters wrap at 256 TiB.
    private var trafficHigh: UInt32 = 0
    /// When the connection was accepted, in whole seconds of the shard clock (`ShardLoop.now()`).
    var openedSecond: UInt32 = 0
    /// nil: the slot is free.
    var lifecycle: ClientLifecycle?
    var decoder: ClientDecoderState = .raw(RawDecoder())

    /// The chunk holding the partial message being assembled, if one is in progress.
    var assembly: Chunk? {
        get { assemblyID == Self.noChunk ? nil : Chunk(id: assemblyID) }
        set { assemblyID = newValue?.id ?? Self.noChunk }
    }

    /// Bytes received from the peer since accept.
    var bytesIn: UInt64 { UInt64(trafficHigh & 0xFFFF) << 32 | UInt64(bytesInLow) }
    /// Bytes the kernel accepted for sending since accept.
    var bytesOut: UInt64 { UInt64(trafficHigh >> 16) << 32 | UInt64(bytesOutLow) }

    mutating func countReceived(_ byteCount: Int32) {
        let total = bytesIn &+ UInt64(UInt32(bitPattern: byteCount))
        bytesInLow = UInt32(truncatingIfNeeded: total)
        trafficHigh = trafficHigh & 0xFFFF_0000 | UInt32(truncatingIfNeeded: total >> 32) & 0xFFFF
    }

    mutating func countSent(_ byteCount: Int32) {
        let total = bytesOut &+ UInt64(UInt32(bitPattern: byteCount))
        bytesOutLow = UInt32(truncatingIfNeeded: total)
        trafficHigh = trafficHigh & 0xFFFF | (UInt32(truncatingIfNeeded: total >> 32) & 0xFFFF) << 16
    }

    /// A new occupant of the slot starts its figures from zero.
    mutating func resetTraffic(openedSecond: UInt32) {
        bytesInLow = 0
        bytesOutLow = 0
        trafficHigh = 0
        self.openedSecond = openedSecond
    }

    /// Figures carried over from another process by a live takeover.
    mutating func restoreTraffic(bytesIn: UInt64, bytesOut: UInt64, openedSecond: UInt32) {
        resetTraffic(openedSecond: openedSecond)
        bytesInLow = UInt32(truncatingIfNeeded: bytesIn)
        bytesOutLow = UInt32(truncatingIfNeeded: bytesOut)
        trafficHigh =
            UInt32(truncatingIfNeeded: bytesIn >> 32) & 0xFFFF | (UInt32(truncatingIfNeeded: bytesOut >> 32) & 0xFFFF)
            << 16
    }

    /// Output is held (queued, not sent) until the WebSocket handshake response went out.
    var holdsOutput: Bool {
        get { flags & Self.holdsOutputFlag != 0 }
        set { flags = newValue ? flags | Self.holdsOutputFlag : flags & ~Self.holdsOutputFlag }
    }

    /// The connection came through a TLS listener (its session is in the shard's `tlsClients`).
    var usesTLS: Bool {
        get { flags & Self.usesTLSFlag != 0 }
        set { flags = newValue ? flags | Self.usesTLSFlag : flags & ~Self.usesTLSFlag }
    }

    /// Output was queued this turn and the slot is on the shard's list to flush when the turn ends.
    var flushScheduled: Bool {
        get { flags & Self.flushScheduledFlag != 0 }
        set { flags = newValue ? flags | Self.flushScheduledFlag : flags & ~Self.flushScheduledFlag }
    }

    /// Its TLS handshake completed.
    var tlsEstablished: Bool {
        get { flags & Self.tlsEstablishedFlag != 0 }
        set { flags = newValue ? flags | Self.tlsEstablishedFlag : flags & ~Self.tlsEstablishedFlag }
    }

    /// The application saw this connection open (so it must see it close).
    var announced: Bool {
        get { flags & Self.announcedFlag != 0 }
        set { flags = newValue ? flags | Self.announcedFlag : flags & ~Self.announcedFlag }
    }
}

/// The decoder a connection is using now. WebSocket connections start on the HTTP head and switch to
/// frames once the upgrade succeeded.
enum ClientDecoderState {
    case httpHead(HTTPHeadDecoder)
    case webSocket(WebSocketDecoder)
    case text(TextDecoder)
    case lengthField(LengthFieldDecoder)
    case raw(RawDecoder)
}
