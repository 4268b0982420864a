/// What `Gateway` needs from the side that owns its connections: a `BusinessWorker` (commands on the
/// worker connections, addresses from its Register list) or a `GatewayClient` (commands on query
/// connections with the auth prefix, addresses looked up on demand). Used on the loop thread only.
protocol GatewayRouter: AnyObject {
    /// The loop everything runs on.
    var loop: KitLoop { get }
    /// Query connections (and the GatewayClient's command connections).
    var queryPool: QueryPool { get }
    /// Counters.
    var statistics: WorkerKitStatistics { get set }
    /// Whether a command issued on the loop thread may be written at once (worker). A GatewayClient
    /// orders every command behind pending address lookups instead.
    var routesImmediately: Bool { get }

    /// Calls `body` with the gateways `kind` addresses, in order, once they are known (at once for a
    /// worker; after a Register lookup for a GatewayClient whose cache expired). Calls are answered
    /// in the order they were made, so commands keep their order.
    func withTargets(_ kind: TargetKind, _ body: @escaping (Result<[IPv4Endpoint], GatewayKitError>) -> Void)

    /// Encodes one command for `endpoint` into the connection that carries commands there, or drops
    /// and counts it (no connection, buffer full, too large).
    func sendCommand(to endpoint: IPv4Endpoint, _ encode: (inout [UInt8]) throws(GatewayKitError) -> Void)

    /// Whether a single-client query (isOnline, getSession) should be sent: PHP's worker answers
    /// 0/null without asking when it has no worker connection to that gateway.
    func canQuery(_ endpoint: IPv4Endpoint) -> Bool

    /// Connections that carry commands, for `flush()`.
    var commandConnections: [LoopConnection] { get }

    /// The first command delivery failure since the last call, cleared (GatewayClient `flush()`).
    func takeCommandFailure() -> GatewayKitError?
}

/// Which gateways a request goes to.
enum TargetKind {
    /// None needed: the command names its gateway (only ordering matters).
    case none
    /// Every gateway a broadcast reaches: a worker's open worker connections, a client's Register list.
    case broadcast
    /// Every gateway a query asks: the Register list.
    case query
}
