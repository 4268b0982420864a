/// One client connection of a shard, as handed from the old process to the new one.
///
/// Everything the shard keeps per connection besides its socket (which travels as a descriptor, matched
/// by ``slot``): identity, counters, the decoder in the middle of a message with the bytes assembled so
/// far, output not yet sent, the handshake deadline and, on a GatewayWorker gateway, the gateway record.
public struct TakeoverClient: Equatable, Sendable {
    /// Direct-descriptor index (kept across the takeover).
    public var slot: UInt32
    /// The slot's generation (completion tags carry it), kept so late completions are still recognised.
    public var generation: UInt32
    /// Index into the listener list.
    public var listener: UInt8
    /// WebSocket output held until the 101 went out.
    public var holdsOutput: Bool
    /// The application saw the connection open.
    public var announced: Bool
    /// The client's address (workers see it in every packet, spec §2).
    public var peerIPv4: UInt32
    public var peerPort: UInt16
    /// Bytes received from and sent to the client so far (status and metrics).
    public var bytesIn: UInt64
    public var bytesOut: UInt64
    /// When the connection was accepted, in seconds of the wall clock.
    public var openedSecond: UInt32
    /// The client's decoder, possibly in the middle of a message.
    public var decoder: TakeoverDecoder
    /// Partial message bytes assembled so far (nil: none in progress).
    public var assembly: [UInt8]?
    /// Partial WebSocket control frame payload (at most 125 bytes).
    public var controlAssembly: [UInt8]?
    /// Unsent output, in order (already framed for the client).
    public var queuedOutput: [UInt8]
    /// Time left of the handshake deadline, if one runs.
    public var handshakeDeadlineNanoseconds: UInt64?
    /// Opcode of the client's last data message: 1 text, 2 binary, 0 when none.
    public var lastOpcode: UInt8
    /// nil when the shard is not a GatewayWorker gateway.
    public var gateway: TakeoverGatewayClient?

    /// A client with the given fields; the optional parts default to absent and the counters to 0.
    public init(
        slot: UInt32,
        generation: UInt32,
        listener: UInt8,
        holdsOutput: Bool = false,
        announced: Bool = false,
        peerIPv4: UInt32 = 0,
        peerPort: UInt16 = 0,
        bytesIn: UInt64 = 0,
        bytesOut: UInt64 = 0,
        openedSecond: UInt32 = 0,
        decoder: TakeoverDecoder,
        assembly: [UInt8]? = nil,
        controlAssembly: [UInt8]? = nil,
        queuedOutput: [UInt8] = [],
        handshakeDeadlineNanoseconds: UInt64? = nil,
        lastOpcode: UInt8 = 0,
        gateway: TakeoverGatewayClient? = nil
    ) {
        self.slot = slot
        self.generation = generation
        self.listener = listener
        self.holdsOutput = holdsOutput
        self.announced = announced
        self.peerIPv4 = peerIPv4
        self.peerPort = peerPort
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.openedSecond = openedSecond
        self.decoder = decoder
        self.assembly = assembly
        self.controlAssembly = controlAssembly
        self.queuedOutput = queuedOutput
        self.handshakeDeadlineNanoseconds = handshakeDeadlineNanoseconds
        self.lastOpcode = lastOpcode
        self.gateway = gateway
    }
}

/// A client's decoder, in the middle of whatever it was reading.
public enum TakeoverDecoder: Equatable, Sendable {
    case httpHead(HTTPHeadDecoder)
    case webSocket(WebSocketDecoder)
    case text(TextDecoder)
    case lengthField(LengthFieldDecoder)
    case raw(RawDecoder)

    /// The kind byte in the layout: 0 HTTP head, 1 WebSocket, 2 Text, 3 length field, 4 raw.
    var kind: UInt8 {
        switch self {
        case .httpHead: 0
        case .webSocket: 1
        case .text: 2
        case .lengthField: 3
        case .raw: 4
        }
    }

    /// The decoder's own fixed-size snapshot.
    var snapshotBytes: [UInt8] {
        switch self {
        case .httpHead(let decoder): decoder.snapshotBytes
        case .webSocket(let decoder): decoder.snapshotBytes
        case .text(let decoder): decoder.snapshotBytes
        case .lengthField(let decoder): decoder.snapshotBytes
        case .raw(let decoder): decoder.snapshotBytes
        }
    }

    /// The size of the snapshot that follows a kind byte, nil for an unknown kind.
    static func snapshotByteCount(kind: UInt8) -> Int? {
        switch kind {
        case 0: HTTPHeadDecoder.snapshotByteCount
        case 1: WebSocketDecoder.snapshotByteCount
        case 2: TextDecoder.snapshotByteCount
        case 3: LengthFieldDecoder.snapshotByteCount
        case 4: RawDecoder.snapshotByteCount
        default: nil
        }
    }

    /// The decoder of `kind` restored from `bytes`, nil when the decoder refuses the state.
    init?(kind: UInt8, snapshotBytes bytes: Span<UInt8>) {
        switch kind {
        case 0: guard let decoder = HTTPHeadDecoder(snapshotBytes: bytes) else { return nil }; self = .httpHead(decoder)
        case 1:
            guard let decoder = WebSocketDecoder(snapshotBytes: bytes) else { return nil }; self = .webSocket(decoder)
        case 2: guard let decoder = TextDecoder(snapshotBytes: bytes) else { return nil }; self = .text(decoder)
        case 3:
            guard let decoder = LengthFieldDecoder(snapshotBytes: bytes) else { return nil };
            self = .lengthField(decoder)
        case 4: guard let decoder = RawDecoder(snapshotBytes: bytes) else { return nil }; self = .raw(decoder)
        default: return nil
        }
    }
}

/// A client's record in the GatewayWorker gateway table (spec §7.1).
public struct TakeoverGatewayClient: Equatable, Sendable {
    /// The connection id workers address the client by (§3); never 0.
    public var connectionID: UInt32
    /// Heartbeat counter (§7.3).
    public var heartbeatCount: Int32
    /// The session, opaque bytes (§7.6).
    public var session: [UInt8]
    /// The bound uid, normalised as the gateway stores it (§4.7).
    public var uid: PHPKey?
    /// nil: never joined (SELECT says null); [] : left all.
    public var groups: [PHPKey]?

    /// A gateway record; a fresh client's heartbeat count is −1.
    public init(
        connectionID: UInt32,
        heartbeatCount: Int32 = -1,
        session: [UInt8] = [],
        uid: PHPKey? = nil,
        groups: [PHPKey]? = nil
    ) {
        self.connectionID = connectionID
        self.heartbeatCount = heartbeatCount
        self.session = session
        self.uid = uid
        self.groups = groups
    }
}

/// One entry of the uid or group index: a key and its connection ids in bind or join order.
public struct TakeoverKeyMembers: Equatable, Sendable {
    /// The uid or group, normalised and not falsy.
    public var key: PHPKey
    /// Connection ids, each once, in bind or join order.
    public var members: [UInt32]

    /// An index entry.
    public init(key: PHPKey, members: [UInt32]) {
        self.key = key
        self.members = members
    }
}
