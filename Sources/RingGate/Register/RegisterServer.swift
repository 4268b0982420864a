import Logging
import RingGateCodecs
import RingGateRuntime
import Synchronization

/// The built-in Register service: a `RegisterRegistry` on a TCP listener, so that a deployment needs
/// no PHP Register (spec §6). PHP gateways, BusinessWorkers and GatewayClient use it unchanged.
///
/// One dedicated thread serves every connection with nonblocking ordinary sockets and epoll, not
/// io_uring shards: the Register holds one connection per gateway process and per worker process plus
/// short GatewayClient lookups, a few hundred at most, and exchanges a line now and then. A ring, a
/// buffer ring and sharding would add machinery and memory for no measurable gain, and keeping the
/// Register off the shards means it never competes with client traffic.
public final class RegisterServer: Sendable {
    /// Where the Register listens and what it enforces.
    public struct Configuration: Sendable {
        /// The listening address, e.g. 127.0.0.1:1236 (port 0: any free port, see `start()`).
        public var listenAddress: SocketAddress
        /// The Register's rules: secret, auth timeout, line limit.
        public var registry: RegisterRegistry.Configuration
        /// Open connections at most. A newcomer beyond it closes the oldest unauthenticated connection;
        /// when every open one is an authenticated gateway or worker, the newcomer is closed at once
        /// (counted, logged).
        public var maxConnections: Int
        /// Bytes queued for one connection that it has not read; past this the connection is closed
        /// (workerman's default `maxSendBufferSize` is 1 MiB). workerman would drop the message
        /// instead, which can leave a worker with a stale list for good; a close makes it reconnect
        /// and receive a fresh one.
        public var maxPendingOutputByteCount: Int
        /// How long accepting pauses after accept fails for lack of descriptors or memory.
        public var acceptPause: Duration
        /// How long a connection being closed may take to read what was queued for it before it is
        /// closed anyway, so a peer that stops reading cannot hold its slot forever.
        public var closeFlushTimeout: Duration
        /// The shortest time between two broadcasts of the gateway list: changes in between are
        /// coalesced into one (workers only need the latest list).
        public var broadcastInterval: Duration

        public init(
            listenAddress: SocketAddress = .ipv4(address: 0x7F00_0001, port: 1236),
            registry: RegisterRegistry.Configuration = RegisterRegistry.Configuration(),
            maxConnections: Int = 4096,
            maxPendingOutputByteCount: Int = 1 << 20,
            acceptPause: Duration = .seconds(1),
            closeFlushTimeout: Duration = .seconds(5),
            broadcastInterval: Duration = .milliseconds(50)
        ) {
            self.listenAddress = listenAddress
            self.registry = registry
            self.maxConnections = maxConnections
            self.maxPendingOutputByteCount = maxPendingOutputByteCount
            self.acceptPause = acceptPause
            self.closeFlushTimeout = closeFlushTimeout
            self.broadcastInterval = broadcastInterval
        }
    }

    /// Counters and gauges, as of the service thread's last loop iteration.
    public struct Snapshot: Equatable, Sendable {
        /// Open connections of any kind.
        public var connections = 0
        /// Registered gateway connections.
        public var gatewaysRegistered = 0
        /// The addresses a worker would be sent now (values only).
        public var gatewayAddresses: [String] = []
        /// Authenticated worker / GatewayClient connections.
        public var workersConnected = 0
        /// Connections accepted since start.
        public var connectionsAccepted: UInt64 = 0
        /// Connections closed at once because `maxConnections` authenticated ones were open.
        public var connectionsRefused: UInt64 = 0
        /// Unauthenticated connections closed to make room for a newcomer at `maxConnections`.
        public var connectionsEvicted: UInt64 = 0
        /// Connections closed because they did not read what was sent to them.
        public var outputOverflows: UInt64 = 0
        /// Closes that gave up flushing after `closeFlushTimeout`.
        public var closeFlushTimeouts: UInt64 = 0
        /// Bytes queued in the Register that the kernel did not take yet, over all connections.
        public var pendingOutputBytes = 0
        /// The registry's event counters (bad requests, auth failures, …).
        public var registry = RegisterRegistry.Counters()

        public init() {}

        /// Lines answered with the "Bad request" line.
        public var badRequests: UInt64 { registry.badRequests }
        /// `gateway_connect` / `worker_connect` refused for a wrong secret.
        public var authFailures: UInt64 { registry.authFailures }
    }

    public let configuration: Configuration
    private let logger: Logger
    private let running = Mutex<Running?>(nil)
    private let published = PublishedSnapshot()

    /// The service thread and how to stop it.
    private struct Running: Sendable {
        var thread: ShardThread
        var poller: EventPoller
        var stopRequested: StopFlag
        var address: SocketAddress
        var listener: ListeningSocket
    }

    /// The snapshot the service thread publishes and any thread reads.
    final class PublishedSnapshot: Sendable {
        private let value = Mutex(Snapshot())
        func store(_ snapshot: Snapshot) { value.withLock { $0 = snapshot } }
        func load() -> Snapshot { value.withLock { $0 } }
    }

    /// Set by `stop()`, read by the service thread after every wake-up.
    final class StopFlag: Sendable {
        private let flag = Atomic(false)
        func request() { flag.store(true, ordering: .releasing) }
        var isRequested: Bool { flag.load(ordering: .acquiring) }
    }

    public init(configuration: Configuration, logger: Logger = Logger(label: "ringgate.register")) {
        self.configuration = configuration
        self.logger = logger
    }

    deinit { stop() }

    /// Binds the listener and starts the service thread; returns the bound port (the real one when the
    /// configuration asked for port 0). Calling it on a running server returns the port again.
    @discardableResult
    public func start() throws(SystemError) -> UInt16 {
        try start(adopting: nil)
    }

    /// Starts on a listening socket taken over from an old process (`ringgate upgrade`), or binds one.
    @discardableResult
    public func start(adopting adopted: ListeningSocket?) throws(SystemError) -> UInt16 {
        try running.withLock { running throws(SystemError) -> UInt16 in
            if let running { return running.address.port }
            let listener: ListeningSocket
            if let adopted {
                listener = adopted
            } else {
                listener = try ListeningSocket(
                    binding: configuration.listenAddress, backlog: 1024, reusePort: false, nonBlocking: true)
            }
            let poller = try EventPoller()
            try poller.add(listener, token: RegisterLoop.listenerToken)
            let stopRequested = StopFlag()
            let configuration = self.configuration
            let logger = self.logger
            let published = self.published
            let thread = ShardThread(name: "ringgate-reg", cpu: nil) {
                let loop = RegisterLoop(
                    configuration: configuration, listener: listener, poller: poller, logger: logger,
                    publish: published.store)
                loop.run(until: stopRequested)
            }
            running = Running(
                thread: thread, poller: poller, stopRequested: stopRequested, address: listener.address,
                listener: listener)
            logger.info(
                "register listening",
                metadata: [
                    "address": "\(listener.address)", "max_line_length": "\(configuration.registry.maxLineLength)",
                ])
            return listener.address.port
        }
    }

    /// Stops the service thread and closes every connection and the listener; returns once they are
    /// closed. Idempotent; a stopped server can be started again.
    public func stop() {
        guard
            let stopping = running.withLock({ running -> Running? in
                defer { running = nil }; return running
            })
        else { return }
        stopping.stopRequested.request()
        stopping.poller.wake()
        stopping.thread.join()
        logger.info("register stopped", metadata: ["address": "\(stopping.address)"])
    }

    /// The listening socket while running (a live takeover hands a duplicate to the new process).
    public var listeningSocket: ListeningSocket? { running.withLock { $0?.listener } }

    /// The bound address while running.
    public var boundAddress: SocketAddress? { running.withLock { $0?.address } }

    /// Counters and gauges as of the service thread's last loop iteration.
    public var snapshot: Snapshot { published.load() }
}
