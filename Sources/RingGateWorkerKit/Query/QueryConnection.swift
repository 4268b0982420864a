import NIOCore
import RingGateCodecs

/// A query/command connection to one gateway (spec §5.6): requests are pipelined, each preceded by
/// CMD_GATEWAY_CLIENT_CONNECT when a secret is set, and answered in order with `u32 length ‖ payload`
/// (§2.4). Fire-and-forget commands (GatewayClient) share it: they get no reply, so they never
/// disturb the reply order.
///
/// A reply that does not arrive within the timeout fails with `.timeout` and drops the connection
/// (like PHP), failing every other request pipelined on it; the next request opens a new one.
final class QueryConnection: LoopConnection {
    private struct Pending {
        var deadline: ContinuousClock.Instant
        var completion: (Result<[UInt8], GatewayKitError>) -> Void
    }

    private let pool: QueryPool
    private var pending: [Pending] = []
    private var pendingHead = 0
    private var timerArmed = false
    /// Bytes queued but never written when the connection closed (lost commands).
    private(set) var unsentByteCountAtClose = 0

    init(pool: QueryPool, endpoint: IPv4Endpoint) {
        self.pool = pool
        super.init(loop: pool.loop, endpoint: endpoint)
    }

    /// Requests waiting for their reply.
    var pendingCount: Int { pending.count - pendingHead }

    /// Queues `request` (one encoded packet) and calls `completion` with the reply payload.
    func submit(_ request: [UInt8], completion: @escaping (Result<[UInt8], GatewayKitError>) -> Void) {
        outbound.append(contentsOf: pool.authPrefix)
        outbound.append(contentsOf: request)
        pending.append(Pending(deadline: loop.now + pool.timeout, completion: completion))
        outboundDidGrow()
        armTimer()
    }

    /// Queues a fire-and-forget command, encoded straight into the output queue.
    func write(_ encode: (inout [UInt8]) throws(GatewayKitError) -> Void) throws(GatewayKitError) {
        let mark = outbound.count
        outbound.append(contentsOf: pool.authPrefix)
        do {
            try encode(&outbound)
        } catch {
            outbound.removeSubrange(mark...)
            throw error
        }
        outboundDidGrow()
    }

    override func makeDecoder() -> any ChannelHandler {
        ByteToMessageHandler(GatewayReplyDecoder(maxReplyLength: GatewayReplyAssembler.defaultMaxReplyLength))
    }

    override func didReceive(_ frame: ByteBuffer) {
        guard pendingCount > 0 else { return close(.protocolError("a reply nobody asked for")) }
        let request = pending[pendingHead]
        pendingHead += 1
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        request.completion(.success(Array(frame.readableBytesView)))
    }

    override func didClose(_ reason: CloseReason) {
        pool.connectionDidClose(self, reason: reason)
        let error: GatewayKitError =
            switch reason {
            case .connectFailed(let code): .connectFailed(address: endpoint.description, errno: code)
            case .timeout: .timeout(address: endpoint.description)
            case .protocolError(let text): .protocolError(address: endpoint.description, reason: text)
            case .shutdown: .shutdown
            default: .connectionClosed(address: endpoint.description)
            }
        let failed = pending[pendingHead...]
        pending.removeAll()
        pendingHead = 0
        for request in failed { request.completion(.failure(error)) }
    }

    override func connectionWillClose(unsentByteCount: Int) {
        unsentByteCountAtClose = unsentByteCount
    }

    /// One timer per connection, re-armed for the oldest request: the deadlines are in FIFO order
    /// because every request gets the same timeout.
    private func armTimer() {
        guard !timerArmed, pendingCount > 0 else { return }
        timerArmed = true
        loop.schedule(at: pending[pendingHead].deadline) { [weak self] in self?.deadlinePassed() }
    }

    private func deadlinePassed() {
        timerArmed = false
        guard isActive, pendingCount > 0 else { return }
        if pending[pendingHead].deadline <= loop.now {
            pool.countTimeout()
            close(.timeout)
        } else {
            armTimer()
        }
    }
}

/// The query/command connections of one `Gateway`, one per gateway address, opened on demand and
/// kept until they fail (PHP reopens after 50 s; a kept connection costs the gateway nothing).
final class QueryPool {
    let loop: KitLoop
    /// CMD_GATEWAY_CLIENT_CONNECT when a secret is set, else empty.
    let authPrefix: [UInt8]
    let timeout: Duration
    private var connections: [IPv4Endpoint: QueryConnection] = [:]
    /// Query timeouts so far.
    private(set) var timeoutCount = 0
    /// Called when a connection closes with commands it never wrote.
    var onLostCommands: ((IPv4Endpoint, CloseReason) -> Void)?

    init(loop: KitLoop, secretKey: String, timeout: Duration) {
        self.loop = loop
        self.authPrefix = secretKey.isEmpty ? [] : GatewayRequest.gatewayClientConnect(secretKey: secretKey)
        self.timeout = timeout
    }

    /// The connection to `endpoint`, opened if there is none.
    func connection(to endpoint: IPv4Endpoint) -> QueryConnection {
        if let existing = connections[endpoint], existing.isActive { return existing }
        let connection = QueryConnection(pool: self, endpoint: endpoint)
        connections[endpoint] = connection
        connection.start()
        return connection
    }

    /// Every open or connecting connection.
    var activeConnections: [QueryConnection] { connections.values.filter(\.isActive) }

    /// Sends `requests` to their gateways at once and completes with every payload in request order,
    /// or with the first failure.
    func run(
        _ requests: [(endpoint: IPv4Endpoint, packet: [UInt8])],
        completion: @escaping (Result<[(endpoint: IPv4Endpoint, payload: [UInt8])], GatewayKitError>) -> Void
    ) {
        guard !requests.isEmpty else { return completion(.success([])) }
        var payloads = [[UInt8]?](repeating: nil, count: requests.count)
        var remaining = requests.count
        var finished = false
        for (index, request) in requests.enumerated() {
            connection(to: request.endpoint).submit(request.packet) { result in
                guard !finished else { return }
                switch result {
                case .failure(let error):
                    finished = true
                    completion(.failure(error))
                case .success(let payload):
                    payloads[index] = payload
                    remaining -= 1
                    if remaining == 0 {
                        finished = true
                        completion(.success(zip(requests, payloads).map { ($0.endpoint, $1!) }))
                    }
                }
            }
        }
    }

    func connectionDidClose(_ connection: QueryConnection, reason: CloseReason) {
        if connections[connection.endpoint] === connection { connections[connection.endpoint] = nil }
        if connection.unsentByteCountAtClose > 0 { onLostCommands?(connection.endpoint, reason) }
    }

    func countTimeout() {
        timeoutCount += 1
    }
}
