import Glibc
import Logging
import RingGate
import RingGateRuntime

/// The configuration every in-process test gateway starts from: small tables and slabs, unpinned
/// threads, listeners on the given URLs (port 0: any free port).
public func testConfiguration(listeners: [String], shards: Int) throws -> GatewayConfiguration {
    var configuration = GatewayConfiguration(listeners: try listeners.map { try ListenerConfiguration(url: $0) })
    configuration.shardCount = shards
    configuration.connectionsPerShard = 1024
    configuration.slabBytesPerThread = 4 << 20
    configuration.receiveBufferCount = 256
    configuration.pinThreads = false
    return configuration
}

/// `testConfiguration` plus the GatewayWorker side: inner ports chosen by the kernel, no Register.
public func testWorkerGatewayConfiguration(listeners: [String], shards: Int) throws -> GatewayConfiguration {
    var configuration = try testConfiguration(listeners: listeners, shards: shards)
    configuration.slabBytesPerThread = 8 << 20
    var upstream = try UpstreamConfiguration(lanIP: "127.0.0.1", startPort: 0)
    upstream.receiveBufferCount = 16
    configuration.upstream = upstream
    return configuration
}

/// The quiet logger test gateways log through.
public var testLogger: Logger {
    var logger = Logger(label: "ringgate-test")
    logger.logLevel = .warning
    return logger
}

/// Starts an in-process gateway on port 0 listeners, runs `body`, and always stops it.
public func withGateway<R>(
    listeners: [String],
    shards: Int = 2,
    configure: (inout GatewayConfiguration) -> Void = { _ in },
    application: @escaping @Sendable (Int) -> ClientApplication = { _ in EchoApplication() },
    _ body: (GatewayServer) throws -> R
) throws -> R {
    var configuration = try testConfiguration(listeners: listeners, shards: shards)
    configure(&configuration)
    let server = try GatewayServer(configuration: configuration, logger: testLogger, makeApplication: application)
    defer { server.stop() }
    return try body(server)
}

/// Runs `body` against a GatewayWorker gateway (`shards` shards, inner ports chosen by the kernel,
/// no Register unless `configure` adds one), stopping it afterwards.
public func withWorkerGateway<R>(
    listeners: [String],
    shards: Int = 2,
    configure: (inout GatewayConfiguration) throws -> Void = { _ in },
    _ body: (GatewayServer) throws -> R
) throws -> R {
    var configuration = try testWorkerGatewayConfiguration(listeners: listeners, shards: shards)
    try configure(&configuration)
    let server = try GatewayServer(configuration: configuration, logger: testLogger)
    defer { server.stop() }
    return try body(server)
}

/// `withWorkerGateway` for async bodies.
public func withWorkerGateway(
    listeners: [String], shards: Int = 2, configure: (inout GatewayConfiguration) throws -> Void = { _ in },
    _ body: (GatewayServer) async throws -> Void
) async throws {
    var configuration = try testWorkerGatewayConfiguration(listeners: listeners, shards: shards)
    try configure(&configuration)
    let server = try GatewayServer(configuration: configuration, logger: testLogger)
    defer { server.stop() }
    try await body(server)
}

/// CLOCK_MONOTONIC in seconds, for tests that bound how long something took.
public func monotonicSeconds() -> Double { Double(ShardLoop.now()) / 1e9 }

extension GatewayServer {
    /// The gateway-side counters summed over shards.
    public func totalUpstream() -> UpstreamCounters {
        reports().compactMap(\.counters.upstream).reduce(into: UpstreamCounters()) { total, shard in
            total.innerOpen += shard.innerOpen
            total.workersRegistered += shard.workersRegistered
            total.workerRegistrations += shard.workerRegistrations
            total.workerReplacements += shard.workerReplacements
            total.rebinds += shard.rebinds
            total.authenticationFailures += shard.authenticationFailures
            total.unauthorisedRequests += shard.unauthorisedRequests
            total.malformedPackets += shard.malformedPackets
            total.unknownCommands += shard.unknownCommands
            total.eventsForwarded += shard.eventsForwarded
            total.eventsWithoutWorker += shard.eventsWithoutWorker
            total.deliveries += shard.deliveries
            total.heartbeatPings += shard.heartbeatPings
            total.registerConnects += shard.registerConnects
            total.registerConnected += shard.registerConnected
            total.registerFailures += shard.registerFailures
            total.registerUnexpectedBytes += shard.registerUnexpectedBytes
            total.queryReplies += shard.queryReplies
            total.workerKeys += shard.workerKeys
            total.workerKeysRefused += shard.workerKeysRefused
            total.innerHandshakeTimeouts += shard.innerHandshakeTimeouts
            total.innerEvictions += shard.innerEvictions
            total.innerCloseTimeouts += shard.innerCloseTimeouts
            total.innerAcceptFailures += shard.innerAcceptFailures
            total.queryRepliesTooLarge += shard.queryRepliesTooLarge
            total.queryReplyBacklogCloses += shard.queryReplyBacklogCloses
            total.multicastRepeatsCollapsed += shard.multicastRepeatsCollapsed
            total.innerSlotMismatches += shard.innerSlotMismatches
            total.takeoverEventsBuffered += shard.takeoverEventsBuffered
            total.takeoverEventsDropped += shard.takeoverEventsDropped
        }
    }

    /// Waits until `condition` holds for the summed upstream counters (polling), or the timeout.
    public func waitForUpstream(seconds: Double = 5, _ condition: (UpstreamCounters) -> Bool) -> Bool {
        poll(seconds: seconds) { condition(totalUpstream()) }
    }

    /// Port of listener `index`.
    public func port(_ index: Int = 0) -> UInt16 { boundAddresses[index].port }

    /// Counters summed over shards.
    public func totalCounters() -> ShardCounters {
        reports().reduce(into: ShardCounters()) { total, report in
            let counters = report.counters
            total.accepted += counters.accepted
            total.liveConnections += counters.liveConnections
            total.messagesIn += counters.messagesIn
            total.messagesOut += counters.messagesOut
            total.sendQueueDrops += counters.sendQueueDrops
            total.coalescedMessages += counters.coalescedMessages
            total.heldMessagesDiscarded += counters.heldMessagesDiscarded
            total.receiveBufferExhaustions += counters.receiveBufferExhaustions
            total.httpPagesServed += counters.httpPagesServed
            total.httpNotFound += counters.httpNotFound
            total.httpMethodNotAllowed += counters.httpMethodNotAllowed
            total.tlsHandshakesCompleted += counters.tlsHandshakesCompleted
            total.tlsRecordFailures += counters.tlsRecordFailures
            total.takeoversStarted += counters.takeoversStarted
            total.takeoversCompleted += counters.takeoversCompleted
            total.takeoversFailed += counters.takeoversFailed
            total.takeoverHandedOver += counters.takeoverHandedOver
            total.takeoverAdopted += counters.takeoverAdopted
            for (reason, count) in counters.tlsHandshakeFailures {
                total.tlsHandshakeFailures[reason, default: 0] += count
            }
            for (kind, count) in counters.badInput { total.badInput[kind, default: 0] += count }
            for (reason, count) in counters.closes { total.closes[reason, default: 0] += count }
        }
    }

    /// Polls until `condition` holds for the summed counters (at most `seconds`).
    public func waitFor(seconds: Double = 5, _ condition: (ShardCounters) -> Bool) -> Bool {
        poll(seconds: seconds) { condition(totalCounters()) }
    }

    /// Checks `condition` every 10 ms until it holds or `seconds` passed; the last check decides.
    private func poll(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = ShardLoop.now() + UInt64(seconds * 1e9)
        while ShardLoop.now() < deadline {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }
}
