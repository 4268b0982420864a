/// Counters of a `BusinessWorker` or `GatewayClient`, for metrics and tests.
///
/// PHP drops several things silently (a command for a gateway it has no connection to, an event it
/// cannot decode); the kit drops them the same way but counts each.
public struct WorkerKitStatistics: Hashable, Sendable {
    /// Events received from gateways (pings included).
    public var eventsReceived = 0
    /// Commands dropped because no connection to the client's gateway exists (PHP: silent `false`).
    public var commandsDroppedNoConnection = 0
    /// Commands dropped because the connection already had ≥ the send buffer limit queued.
    public var commandsDroppedBufferFull = 0
    /// Commands refused because they would exceed the gateway's 10 MiB packet limit.
    public var commandsTooLarge = 0
    /// Commands lost because their connection failed before writing them (GatewayClient).
    public var commandsLost = 0
    /// Packets with a command a worker does not handle (logged, connection kept).
    public var unknownCommands = 0
    /// ON_MESSAGE packets whose body had flag bit 0 clear and did not unserialize to a string.
    public var undecodableMessages = 0
    /// Events whose session bytes were not a serialized array (PHP throws after the handler).
    public var invalidSessions = 0
    /// Events that still carried the session from before this worker's own write, and got the
    /// written one instead.
    public var staleSessionsReplaced = 0
    /// Worker connections that completed their connect.
    public var gatewayConnects = 0
    /// Worker connections that closed or failed to connect.
    public var gatewayDisconnects = 0
    /// Register connections that completed their connect.
    public var registerConnects = 0
    /// Gateway address lists received from a Register.
    public var registerBroadcasts = 0
    /// Connections closed because of bytes that cannot be framed.
    public var protocolErrors = 0
    /// Queries that got no reply within the timeout.
    public var queryTimeouts = 0

    public init() {}
}
