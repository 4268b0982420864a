/// Plain counters of one shard's gateway side, written only by its thread.
public struct UpstreamCounters: Sendable, Equatable {
    /// Inner connections (workers and GatewayClient) accepted and currently open.
    public var innerAccepted: UInt64 = 0
    public var innerOpen: Int = 0
    /// Workers currently registered, registrations, and registrations that replaced a connection
    /// holding the same key (a restarted worker, spec §5.2).
    public var workersRegistered: Int = 0
    public var workerRegistrations: UInt64 = 0
    public var workerReplacements: UInt64 = 0
    /// Clients bound to a new worker because theirs was gone (excluding first bindings).
    public var rebinds: UInt64 = 0
    /// CMD_WORKER_CONNECT / CMD_GATEWAY_CLIENT_CONNECT with a wrong secret, and commands from
    /// connections that never authenticated: the connection is closed.
    public var authenticationFailures: UInt64 = 0
    public var unauthorisedRequests: UInt64 = 0
    /// Framing errors (pack_len < 28, ext_len past the end, pack_len over the limit): connection closed.
    public var malformedPackets: UInt64 = 0
    /// Unknown command codes from authorised connections: logged and ignored, as PHP does.
    public var unknownCommands: UInt64 = 0
    public var commandsExecuted: UInt64 = 0
    public var queryReplies: UInt64 = 0
    /// Client events written to workers, and events that could not be.
    public var eventsForwarded: UInt64 = 0
    /// Client events with no worker registered: the client is closed (spec §5.4).
    public var eventsWithoutWorker: UInt64 = 0
    /// Client events buffered during a live takeover while no worker was connected, and those dropped
    /// because the buffer was full.
    public var takeoverEventsBuffered: UInt64 = 0
    public var takeoverEventsDropped: UInt64 = 0
    /// Client events dropped because the worker's send queue was over its limit (spec §5.4).
    public var eventsDroppedWorkerBusy: UInt64 = 0
    /// Client events whose packet would exceed the GatewayProtocol limit (`maxPackageLength`), dropped.
    public var eventsTooLarge: UInt64 = 0
    /// Messages delivered to clients by send commands (one per recipient), and fan-out sends.
    public var deliveries: UInt64 = 0
    public var fanOuts: UInt64 = 0
    /// Send bodies that could not be delivered (bit 0 clear and not a deliverable value, spec §4.4).
    public var sendBodyDrops: UInt64 = 0
    /// CMD_UPDATE_SESSION that could not merge and replaced the session (spec §4.6).
    public var sessionMergeFallbacks: UInt64 = 0
    /// `exclude` given as a JSON list and read by value (spec §12).
    public var excludeListDeviations: UInt64 = 0
    /// Client heartbeat pings sent and clients closed for silence (spec §7.3).
    public var heartbeatPings: UInt64 = 0
    /// CMD_WORKER_CONNECT refused because the shard knows `workerKeyLimit` keys already: link closed.
    public var workerKeysRefused: UInt64 = 0
    /// Worker keys known (live, or kept for clients still bound to them).
    public var workerKeys: Int = 0
    /// Inner links closed for not authenticating / completing a packet within the handshake time.
    public var innerHandshakeTimeouts: UInt64 = 0
    /// Inner links that never authenticated, closed to make room when the table was full.
    public var innerEvictions: UInt64 = 0
    /// Graceful inner closes cut after `innerCloseTimeout` (a peer that does not read).
    public var innerCloseTimeouts: UInt64 = 0
    /// Inner accepts the kernel failed (table full, out of descriptors, …).
    public var innerAcceptFailures: UInt64 = 0
    /// Query replies abandoned past `queryReplyLimit`, and links closed because replies piled up
    /// unread past `workerSendQueueLimit`: the link is closed in both cases.
    public var queryRepliesTooLarge: UInt64 = 0
    public var queryReplyBacklogCloses: UInt64 = 0
    /// Multicasts that listed a uid, group or connection more than once and delivered to it once
    /// (deviation from PHP, which sends once per repeat).
    public var multicastRepeatsCollapsed: UInt64 = 0
    /// Completions and accepts that did not match the slot's current connection (late or reused
    /// file index): ignored or reconciled instead of trapping.
    public var innerSlotMismatches: UInt64 = 0
    /// Inner links closed because the heap refused memory for their output (a half-written packet would
    /// corrupt the stream; a worker reconnects).
    public var innerOutputAllocationFailures: UInt64 = 0
    /// Register: successful registrations, failed connects and lost connections.
    public var registerConnects: UInt64 = 0
    public var registerFailures: UInt64 = 0
    /// Register links currently connected.
    public var registerConnected: Int = 0
    /// Bytes a Register sent to this gateway (it never should; they are read and dropped).
    public var registerUnexpectedBytes: UInt64 = 0

    public init() {}
}
