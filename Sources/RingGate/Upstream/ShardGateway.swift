import Logging
import RingGateCodecs
import RingGateRuntime

/// Operation and timer kinds of the upstream side (the upstream ring has its own completions, the
/// timers share the shard's wheel).
extension OperationKind {
    static let innerAccept = OperationKind(rawValue: OperationKind.firstUserKind + 16)
    static let innerReceive = OperationKind(rawValue: OperationKind.firstUserKind + 17)
    static let innerSend = OperationKind(rawValue: OperationKind.firstUserKind + 18)
    static let innerPeerName = OperationKind(rawValue: OperationKind.firstUserKind + 19)
    static let innerShutdown = OperationKind(rawValue: OperationKind.firstUserKind + 20)
    static let innerCancel = OperationKind(rawValue: OperationKind.firstUserKind + 21)
    static let innerClose = OperationKind(rawValue: OperationKind.firstUserKind + 22)
    static let innerAcceptCancel = OperationKind(rawValue: OperationKind.firstUserKind + 23)
    static let registerSend = OperationKind(rawValue: OperationKind.firstUserKind + 24)
    static let registerReceive = OperationKind(rawValue: OperationKind.firstUserKind + 25)
    static let registerClose = OperationKind(rawValue: OperationKind.firstUserKind + 26)
    static let registerShutdown = OperationKind(rawValue: OperationKind.firstUserKind + 27)
    // Timers on the shard's wheel.
    static let heartbeatTimer = OperationKind(rawValue: OperationKind.firstUserKind + 40)
    static let workerPingTimer = OperationKind(rawValue: OperationKind.firstUserKind + 41)
    static let registerRetryTimer = OperationKind(rawValue: OperationKind.firstUserKind + 42)
    static let registerPingTimer = OperationKind(rawValue: OperationKind.firstUserKind + 43)
    static let innerMaintenanceTimer = OperationKind(rawValue: OperationKind.firstUserKind + 44)
}

/// One shard as a GatewayWorker gateway: the client table workers command, the workers it routes
/// client events to, its inner listener and its Register links (spec §4–§7).
///
/// It is both the shard's `ClientApplication` (client events become packets to workers) and its
/// `ShardUpstream` (worker packets become client sends, closes and query replies). All on the shard's
/// thread; nothing is shared with other shards, each of which is a separate gateway address.
///
/// Its hottest tables skip the runtime exclusivity checks in release builds, on the terms `ClientShard`
/// states: short accesses only, never held across a call into the shard or a worker link.
final class ShardGateway: ClientApplication, ShardUpstream {
    let index: Int
    let configuration: UpstreamConfiguration
    /// The upstream ring's I/O; its chunk pool is the client ring's.
    let io: ShardIO
    /// `chunks`, held directly (see `ClientShard.chunks`).
    let chunks: ChunkPool
    let logger: Logger
    /// `lanIp:(startPort + index)`: the address in this shard's client_ids and registrations.
    let innerAddress: SocketAddress
    let innerPort: UInt16
    /// The inner listener's socket (owned by the server, which outlives the shard).
    let innerListenerDescriptor: Int32

    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    var table = GatewayClientTable()
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    var workers: WorkerTable
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    var inner: ContiguousArray<InnerConnection> = []
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    /// Connection id of each client slot (valid while the client is in the table).
    var connectionIDs: [UInt32] = []
    /// Inner links in accept order that may not have authenticated yet (stale entries skipped), and the
    /// first entry not yet looked at: the eviction order when the inner table is full.
    var pendingLinks: [InnerID] = []
    var pendingHead = 0
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    /// Inner connections with output to send at the end of the turn.
    var flushList: [UInt32] = []
    var registerLinks: [RegisterLink]
    var random = SystemRandomNumberGenerator()
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    var counters = UpstreamCounters()
    /// Log lines a worker link can trigger repeatedly, aggregated per interval.
    var notices: ThrottledNotices
    let startedAt = ShardLoop.now()
    var stopping = false
    /// A graceful shutdown began: no new workers, no Register (inner connections still open).
    var leaving = false
    var acceptArmed = false
    /// Inner links learn their peer from the accept itself (no SO_PEERNAME uring command, or forced).
    let peerFromAccept: Bool
    /// A live takeover is moving this shard to a new process: no new workers; client events are buffered.
    var handingOver = false
    /// Client events waiting for a worker during a takeover (old side while the links close, new side
    /// until the workers reconnect).
    var bufferedEvents = BufferedEvents()
    /// New side: until when (shard clock) events with no worker are buffered rather than closing their
    /// client, while the workers reconnect.
    var bufferEventsUntil: UInt64 = 0
    /// When this shard began handing over (the worker links' deadline).
    var handoverStartedAt: UInt64 = 0
    /// When a worker was first seen registered while events were buffered (0: not yet).
    var workersReturnedAt: UInt64 = 0
    /// Whether to keep (re)connecting to the Register and accepting workers.
    var staysInCluster: Bool { !stopping && !leaving && !handingOver }

    var ring: Ring { io.ring }

    init(
        index: Int, configuration: UpstreamConfiguration, io: ShardIO, innerListener: ListeningSocket, logger: Logger
    ) {
        self.index = index
        self.configuration = configuration
        self.io = io
        self.chunks = io.chunks
        self.logger = logger
        self.innerAddress = innerListener.address
        self.innerPort = innerListener.address.port
        self.innerListenerDescriptor = innerListener.descriptor
        self.registerLinks = configuration.registerAddresses.map { RegisterLink(address: $0) }
        self.workers = WorkerTable(capacity: configuration.workerKeyLimit)
        self.notices = ThrottledNotices(logger: logger)
        self.peerFromAccept = configuration.forcePeerNameFallback || !PeerNameCommandProbe.commandAvailable
    }

    /// Period of the deadline checks on inner links and of the notices' flush.
    static let maintenancePeriod: UInt64 = 1_000_000_000

    var isStopped: Bool {
        stopping && !acceptArmed && counters.innerOpen == 0 && registerLinks.allSatisfy(\.isIdle)
    }

    // MARK: ShardUpstream

    func start(on shard: ClientShard) {
        if peerFromAccept && index == 0 {
            logger.info(
                "inner links: peer addresses come from single-shot accepts (no SO_PEERNAME uring command, Linux < 6.7, or \(PeerNameCommandProbe.forcedFallbackVariable) set)"
            )
        }
        armInnerAccept()
        for link in registerLinks.indices { connectRegister(link) }
        shard.schedule(CompletionTag(kind: .innerMaintenanceTimer), afterNanoseconds: Self.maintenancePeriod)
        if configuration.pingIntervalNanoseconds > 0 {
            shard.schedule(CompletionTag(kind: .heartbeatTimer), afterNanoseconds: heartbeatPeriod)
        }
        if configuration.pingsWorkers {
            shard.schedule(CompletionTag(kind: .workerPingTimer), afterNanoseconds: configuration.keepaliveNanoseconds)
        }
    }

    func completed(_ completion: Completion, on shard: ClientShard) {
        switch completion.tag.kind {
        case .innerAccept: innerAcceptCompleted(completion)
        case .innerPeerName: innerPeerNameCompleted(completion)
        case .innerReceive: innerReceiveCompleted(completion, on: shard)
        case .innerSend: innerSendCompleted(completion)
        case .innerShutdown: innerShutdownCompleted(completion)
        case .innerCancel: innerCancelCompleted(completion)
        case .innerClose: innerCloseCompleted(completion)
        case .innerAcceptCancel, .innerHalfClose: break
        case .socket, .connect, .registerSend, .registerReceive, .registerClose, .registerShutdown:
            registerCompleted(completion, on: shard)
        default:
            // Every kind submitted on this ring is listed above; a stray one is counted, never fatal.
            counters.innerSlotMismatches += 1
        }
    }

    func timerFired(_ tag: CompletionTag, on shard: ClientShard) {
        switch tag.kind {
        case .heartbeatTimer:
            guard !stopping else { return }
            // Paused clients cannot answer: the heartbeat resumes in whichever process serves them next.
            if !handingOver { heartbeatTick(on: shard) }
            shard.schedule(CompletionTag(kind: .heartbeatTimer), afterNanoseconds: heartbeatPeriod)
        case .workerPingTimer:
            guard !stopping else { return }
            pingWorkers()
            shard.schedule(CompletionTag(kind: .workerPingTimer), afterNanoseconds: configuration.keepaliveNanoseconds)
        case .registerRetryTimer, .registerPingTimer:
            registerTimerFired(tag, on: shard)
        case .innerMaintenanceTimer:
            // Runs while stopping too: it is what cuts a graceful close to a worker that stopped reading.
            innerMaintenance(now: ShardLoop.now())
            if !isStopped {
                shard.schedule(CompletionTag(kind: .innerMaintenanceTimer), afterNanoseconds: Self.maintenancePeriod)
            }
        default:
            break
        }
    }

    func turnFinished(on shard: ClientShard) {
        if handingOver { progressHandover() }
        if !bufferedEvents.isEmpty { deliverBufferedEventsWhenWorkersSettled() }
        if !flushList.isEmpty {
            let slots = flushList
            flushList.removeAll(keepingCapacity: true)
            for slot in slots {
                inner[Int(slot)].flushScheduled = false
                flushInner(slot)
            }
        }
        io.receiveBuffers.publish()
    }

    func beginLeaving(on shard: ClientShard) {
        guard staysInCluster else { return }
        leaving = true
        cancelInnerAccept()
        for link in registerLinks.indices { closeRegister(link, retry: false) }
    }

    func beginStop(on shard: ClientShard) {
        guard !stopping else { return }
        stopping = true
        cancelInnerAccept()
        for link in registerLinks.indices { closeRegister(link, retry: false) }
        for slot in inner.indices where inner[slot].lifecycle != nil {
            closeInner(UInt32(slot), graceful: true)
        }
    }

    // MARK: Helpers

    /// Ends the inner listener's accept, if armed (its completion clears `acceptArmed`).
    func cancelInnerAccept() {
        guard acceptArmed else { return }
        io.ring.cancel(CompletionTag(kind: .innerAccept), tag: CompletionTag(kind: .innerAcceptCancel))
    }

    /// Whether the gateway has been up long enough that a missing worker is worth a log line (PHP
    /// stays quiet during its first 2 s, spec §5.4).
    var pastStartup: Bool { ShardLoop.now() - startedAt >= 2_000_000_000 }
}

@available(*, unavailable)
extension ShardGateway: Sendable {}
