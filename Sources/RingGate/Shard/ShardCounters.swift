import RingGateCodecs
import RingGateTLS

/// Plain per-shard counters, written only by the shard's thread and read by aggregation when scraped.
public struct ShardCounters: Sendable, Equatable {
    /// Why a client connection ended.
    public enum CloseReason: String, Sendable, CaseIterable {
        case peerClosed = "peer_closed"
        case socketError = "socket_error"
        case sendFailed = "send_failed"
        case protocolError = "protocol_error"
        case webSocketClose = "websocket_close"
        case handshakeTimeout = "handshake_timeout"
        case slowClient = "slow_client"
        case application = "application"
        case shutdown = "shutdown"
        /// CMD_KICK: the goodbye message flushed, then closed.
        case kicked = "kicked"
        /// CMD_DESTROY.
        case destroyed = "destroyed"
        /// An event had to go to a worker and none was registered (spec §5.4).
        case noWorker = "no_worker"
        /// Silent beyond the heartbeat limit (spec §7.3).
        case heartbeatTimeout = "heartbeat_timeout"
        /// Every 32-bit connection id was in use.
        case connectionIDsExhausted = "connection_ids_exhausted"
        /// A plain HTTP request was answered (page, 404 or 405; `WebSocketListenerOptions.httpPage`).
        case httpAnswered = "http_answered"
        /// The heap refused memory for what the peer sent (a message being assembled).
        case outOfMemory = "out_of_memory"
        /// The message being assembled would have crossed the shard's memory budget.
        case memoryBudget = "memory_budget"
        /// A TLS handshake failed or a TLS record was bad (or no session could be allocated).
        case tlsFailure = "tls_failure"
        /// A TLS client closed (WebSocket 1012) by a live takeover: its session cannot move to the new process.
        case takeover = "takeover"
    }

    public var accepted: UInt64 = 0
    public var acceptErrors: UInt64 = 0
    public var liveConnections: Int = 0
    public var closes: [CloseReason: UInt64] = [:]
    public var messagesIn: UInt64 = 0
    public var messagesOut: UInt64 = 0
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    /// Messages dropped because the client's send queue was at its limit (workerman "send buffer full").
    public var sendQueueDrops: UInt64 = 0
    /// Messages that left in a send shared with others queued behind the same in-flight send.
    public var coalescedMessages: UInt64 = 0
    /// Messages workers queued for a WebSocket client whose handshake then failed: discarded unsent, as
    /// the PHP Gateway does (the 400 is all the client receives).
    public var heldMessagesDiscarded: UInt64 = 0
    public var badInput: [ProtocolError.Kind: UInt64] = [:]
    /// Multishot receives that ended with -ENOBUFS (buffer ring ran dry) and were re-armed.
    public var receiveBufferExhaustions: UInt64 = 0
    public var peerNameFailures: UInt64 = 0
    /// Connections closed or messages dropped because memory for a peer's bytes was refused.
    public var memoryRefusals: UInt64 = 0
    /// Connections closed at accept because the shard was near its memory budget.
    public var memoryRefusedAccepts: UInt64 = 0
    /// Connections closed because their message would have crossed the memory budget.
    public var memoryBudgetCloses: UInt64 = 0
    /// Completions that matched no operation in flight (ignored instead of trapping).
    public var unexpectedCompletions: UInt64 = 0
    /// Submits the kernel refused (EAGAIN/ENOMEM/EBUSY) and the loop retried on a later turn.
    public var submitRefusals: UInt64 = 0
    /// Plain HTTP requests answered with the listener's page (GET or HEAD of `/` or `/index.html`).
    public var httpPagesServed: UInt64 = 0
    /// Plain HTTP requests for another path, answered with 404.
    public var httpNotFound: UInt64 = 0
    /// Plain HTTP requests with a method other than GET or HEAD, answered with 405.
    public var httpMethodNotAllowed: UInt64 = 0
    /// TLS handshakes completed on TLS listeners.
    public var tlsHandshakesCompleted: UInt64 = 0
    /// TLS handshakes that failed, by reason.
    public var tlsHandshakeFailures: [TLSHandshakeFailure: UInt64] = [:]
    /// Established TLS connections closed for a bad record (decryption or protocol error).
    public var tlsRecordFailures: UInt64 = 0
    /// Live takeovers (`ringgate upgrade`) this shard began handing over, finished, and abandoned.
    public var takeoversStarted: UInt64 = 0
    public var takeoversCompleted: UInt64 = 0
    public var takeoversFailed: UInt64 = 0
    /// Clients handed to a new process (old side) and adopted from an old one (new side).
    public var takeoverHandedOver: UInt64 = 0
    public var takeoverAdopted: UInt64 = 0
    /// The gateway side (workers, commands, Register); nil for a gateway without workers (echo).
    public var upstream: UpstreamCounters?

    public init() {}

    mutating func countClose(_ reason: CloseReason) { closes[reason, default: 0] += 1 }
    mutating func countBadInput(_ kind: ProtocolError.Kind) { badInput[kind, default: 0] += 1 }
}
