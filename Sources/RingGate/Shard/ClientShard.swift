import Glibc
import Logging
import RingGateCodecs
import RingGateRuntime
import RingGateTLS

/// Operation kinds of the gateway layer (the runtime's kinds are below `firstUserKind`).
extension OperationKind {
    static let handshakeTimeout = OperationKind(rawValue: OperationKind.firstUserKind)
    static let acceptRetry = OperationKind(rawValue: OperationKind.firstUserKind + 1)
    static let drainTimeout = OperationKind(rawValue: OperationKind.firstUserKind + 2)
    /// The cancel of a listener's multishot accept at stop (no connection behind it).
    static let acceptCancel = OperationKind(rawValue: OperationKind.firstUserKind + 3)
    /// The close of a socket accepted while stopping (never admitted to the table).
    static let unadmittedClose = OperationKind(rawValue: OperationKind.firstUserKind + 4)
    /// The end of a graceful shutdown's drain time: whatever is still open is closed now.
    static let drainDeadline = OperationKind(rawValue: OperationKind.firstUserKind + 5)
}

/// A listener as one shard sees it: its own SO_REUSEPORT socket and the shared configuration.
struct ShardListener {
    var descriptor: Int32
    var configuration: ListenerConfiguration
    var codec: ListenerCodec
    /// Certificates and settings of a TLS listener (replaced by a reload; nil: plain).
    var tls: TLSContext?
}

/// Messages other threads post to a shard.
public enum ShardMessage: Sendable {
    /// Stop accepting, close every client, end the loop.
    case stop
    /// Graceful shutdown: stop accepting, leave the Register, flush every client's queue and close it
    /// (WebSocket close 1001, then FIN); within `drainNanoseconds`, then as `stop`.
    case drain(drainNanoseconds: UInt64)
    /// Send a snapshot of the shard's figures to the callback (runs on the shard's thread).
    case report(@Sendable (ShardReport) -> Void)
    /// Run a closure on the shard's thread with the shard (tests, administrative actions).
    case execute(@Sendable (ClientShard) -> Void)
}

/// A snapshot of one shard's figures, taken on its thread.
public struct ShardReport: Sendable {
    public var index: Int
    public var counters: ShardCounters
    public var liveChunks: Int
    public var slabBytesInUse: Int
    public var heapBytesInUse: Int
    public var receiveBuffersLent: Int
    public var queuedSendNodes: Int
    public var slabBacking: String
    public var hugePages: Bool
    public var loopTurns: UInt64
    public var turnLatency: TurnLatencyHistogram
    /// Turns after which a completion queue had overflowed into the kernel's backlog.
    public var completionOverflowTurns: UInt64
    /// Completions the kernel dropped (client ring + upstream ring).
    public var droppedCompletions: UInt64
    public var slabBytes: Int
    /// The shard is draining or stopping (graceful shutdown under way).
    public var shuttingDown: Bool
    /// Chunk allocations the heap refused (a message dropped or a client closed instead of a trap).
    public var chunkAllocationFailures: UInt64 = 0
}

/// One shard's client side: its connection table, send queues and timers, fed by its ring's completions.
///
/// Everything here runs on the shard's thread; nothing is shared with other shards.
///
/// Exclusivity: the tables every event touches (`connections`, `sendQueues`, ...) skip Swift's runtime
/// exclusivity checks in release builds, where they cost more CPU than all the rest of the shard's own code
/// (see `Ring`). That is sound because each access is short: state is copied out, changed and written back,
/// and no access is held across a call that may re-enter the shard (an application callback, a close).
/// Debug builds, which run the tests, keep the checks, so a change that breaks that rule traps there.
public final class ClientShard: ShardHandler {
    public let index: Int
    let io: ShardIO
    /// `chunks`, held directly: reached through `io`, every use cost a retain and a release (perf).
    let chunks: ChunkPool
    let logger: Logger
    let mailbox: ShardMailbox<ShardMessage>
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    var listeners: [ShardListener]
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    var connections: ContiguousArray<ClientConnection> = []
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    var sendQueues = SendQueuePool()
    var wheel: TimingWheel
    /// Control-frame payloads split across receive buffers (rare), keyed by slot.
    var controlAssemblies: [UInt32: Chunk] = [:]
    /// Slots whose multishot receive ended with -ENOBUFS, re-armed in arrival order after turns return
    /// buffers (`rearmStarvedReceives`); those before `receivesToRearmStart` were re-armed already.
    var receivesToRearm: [ClientID] = []
    var receivesToRearmStart = 0
    /// Receives armed this turn (the kernel sees them at the next submit, where each may take a buffer at
    /// once): they count against the buffers a turn can promise (`receiveBuffersUnpromised`).
    var receiveArmsThisTurn = 0
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    /// Slots whose output was queued this turn, flushed when it ends (`flushQueuedOutput()`).
    var slotsToFlush: [UInt32] = []
    /// Sessions and outgoing ciphertext of TLS clients, keyed by slot.
    var tlsClients: [UInt32: TLSClientState] = [:]
    /// The bytes every TLS session of this shard exchanges with OpenSSL (one decrypt buffer per shard).
    let tlsPipe = TLSPipe()
    let application: ClientApplication
    /// The worker-facing side, when this shard is a GatewayWorker gateway.
    var upstream: ShardUpstream?
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    public internal(set) var counters = ShardCounters()
    /// SO_PEERNAME through io_uring needs Linux 6.7; without it peers are reported as 0.0.0.0:0.
    var peerNameLookup = true
    var stopping = false
    /// A graceful shutdown is under way (see `ShardMessage.drain`); `stopping` follows it.
    var draining = false
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    /// Loop turns completed.
    var turns: UInt64 = 0
    #if !DEBUG
        @safe @exclusivity(unchecked)
    #endif
    var turnLatency = TurnLatencyHistogram()
    /// Heap bytes freed (timer storage after a burst) since the last `malloc_trim`.
    var releasedHeapBytes = 0
    static let heapTrimThreshold = 256 << 10
    var completionOverflowTurns: UInt64 = 0
    /// Bytes of chunks (assemblies, send queues) this shard may hold for its peers; 0: no budget.
    var memoryBudget = 0
    /// Whether this shard reports its thread's shared slab and chunk pool (the thread's first shard does; the
    /// others report zero, so that figures summed over shards count the shared memory once).
    var reportsThreadMemory = true
    /// Log lines a client can trigger repeatedly, aggregated per interval; flushed from `tick`.
    var notices: ThrottledNotices
    /// The ring's refused-submit count at the last tick, to log a new refusal once per tick.
    private var loggedSubmitRefusals: UInt64 = 0
    public private(set) var isFinished = false
    /// This shard's part in a live takeover (`ringgate upgrade`), on either side.
    var takeover = ShardTakeoverState()

    init(
        index: Int, io: ShardIO, listeners: [ShardListener], application: ClientApplication,
        mailbox: ShardMailbox<ShardMessage>, tickNanoseconds: UInt64, logger: Logger
    ) {
        self.index = index
        self.io = io
        self.chunks = io.chunks
        self.listeners = listeners
        self.application = application
        self.mailbox = mailbox
        self.wheel = TimingWheel(tickNanoseconds: tickNanoseconds, startTick: ShardLoop.now() / tickNanoseconds)
        self.logger = logger
        self.notices = ThrottledNotices(logger: logger)
    }

    /// Arms the multishot accepts; called once on the shard thread before the loop runs.
    func start() {
        // A new process taking over waits for the old one's state before it accepts anyone.
        guard takeover.role != .awaitingAdoption else { return }
        upstream?.start(on: self)
        armAccepts()
    }

    /// Schedules `tag` on the shard's timing wheel; it comes back through `ShardUpstream.timerFired`
    /// (kinds the shard does not handle itself).
    func schedule(_ tag: CompletionTag, afterNanoseconds nanoseconds: UInt64) {
        wheel.schedule(tag.rawValue, afterNanoseconds: nanoseconds)
    }

    /// Arms every listener's multishot accept (at start, and when a takeover is abandoned).
    func armAccepts() {
        for index in listeners.indices { armAccept(listener: index) }
    }

    func armAccept(listener: Int) {
        io.ring.acceptMultishotDirect(
            listenerDescriptor: listeners[listener].descriptor,
            tag: CompletionTag(kind: .accept, slot: UInt32(listener)))
    }

    // MARK: ShardHandler

    public func completed(_ completion: Completion) {
        if completion.tag.kind != .accept && completion.tag.kind != .acceptCancel
            && completion.tag.kind != .unadmittedClose && completion.tag.kind != .descriptorInstall
            && Int(completion.tag.slot) >= connections.count
        {
            io.discardReceivedBuffer(completion)
            return unexpectedCompletion(completion, "completion for a slot never used")
        }
        switch completion.tag.kind {
        case .accept: acceptCompleted(completion)
        case .receive: receiveCompleted(completion)
        case .send: sendCompleted(completion)
        case .peerName: peerNameCompleted(completion)
        case .shutdown: shutdownCompleted(completion)
        case .cancel: cancelCompleted(completion)
        case .close: closeCompleted(completion)
        case .acceptCancel, .unadmittedClose: break
        case .descriptorInstall: descriptorInstallCompleted(completion)
        default: unexpectedCompletion(completion, "completion of unknown kind \(completion.tag.kind.rawValue)")
        }
    }

    public func tick(now: UInt64) {
        notices.flush(now: now)
        noteSubmitRefusals(now: now)
        // Collected first, handled after: a handler may schedule on the wheel it was fired from.
        var fired: [CompletionTag] = []
        wheel.advance(to: now / wheel.tickNanoseconds) { payload in fired.append(CompletionTag(rawValue: payload)) }
        releasedHeapBytes +=
            wheel.takeReleasedBytes() + sendQueues.releaseStorageIfIdle() + chunks.releaseStorageIfIdle()
        if releasedHeapBytes >= Self.heapTrimThreshold {
            // glibc keeps freed heap mapped; once a burst's timers and send nodes are gone, give it back so
            // an idle shard's memory returns to its idle level.
            releasedHeapBytes = 0
            Heap.returnFreedMemory()
        } else if releasedHeapBytes > 0 && Heap.returnFreedMemoryIfDue(now: now, intervalNanoseconds: 2_000_000_000) {
            // Less than the threshold, but 58 shards' few KiB each add up: given back at most every 2 s.
            releasedHeapBytes = 0
        }
        for tag in fired {
            switch tag.kind {
            case .handshakeTimeout: handshakeTimedOut(tag)
            case .acceptRetry: if !stopping && !draining && takeover.accepts { armAccept(listener: Int(tag.slot)) }
            case .drainTimeout: drainTimedOut(tag)
            case .drainDeadline: drainDeadlinePassed()
            default: upstream?.timerFired(tag, on: self)
            }
        }
    }

    /// The kernel refused submissions since the last tick (memory pressure, completion backlog): the
    /// loop retried them; say so once per tick at most, and count them.
    private func noteSubmitRefusals(now: UInt64) {
        let refused = io.ring.submitRefusalCount &+ (upstream?.ring.submitRefusalCount ?? 0)
        guard refused != loggedSubmitRefusals else { return }
        counters.submitRefusals &+= refused &- loggedSubmitRefusals
        loggedSubmitRefusals = refused
        notices.notice(
            "io_uring refused submissions; retrying them next turn", peer: "kernel", level: .warning,
            metadata: ["errno": "\(io.ring.lastSubmitRefusal)"], now: now)
    }

    /// Bytes of chunks this shard holds now (assemblies, send queues, encoded messages), plus what its
    /// TLS sessions hold in OpenSSL (counted at `tlsSessionBytes` each: measured 14 KB established, more
    /// while a handshake holds a partial record), so that a flood of handshakes meets the budget too.
    var heldBytes: Int {
        chunks.slabBytesInUse + chunks.heapBytesInUse + tlsClients.count * Self.tlsSessionBytes
    }

    /// A completion the state machines cannot place (kernel and table out of step — not expected from
    /// any CQE order, see the report in issue 11): ignored with an error line and a counter, not a trap.
    func unexpectedCompletion(_ completion: Completion, _ what: String) {
        counters.unexpectedCompletions &+= 1
        notices.notice(
            "ignoring \(what)", peer: "kernel", level: .error,
            metadata: ["slot": "\(completion.tag.slot)", "result": "\(completion.result)"], now: ShardLoop.now())
    }

    public func mailboxSignalled() {
        for message in mailbox.takeAll() {
            switch message {
            case .stop: beginStop()
            case .drain(let nanoseconds): beginDrain(drainNanoseconds: nanoseconds)
            case .report(let reply): reply(report())
            case .execute(let body): body(self)
            }
        }
    }

    public var upstreamRing: Ring? { upstream?.ring }

    public func upstreamCompleted(_ completion: Completion) {
        upstream?.completed(completion, on: self)
    }

    public func turnFinished() {
        turns &+= 1
        upstream?.turnFinished(on: self)
        flushQueuedOutput()
        rearmStarvedReceives()
        receiveArmsThisTurn = 0
        if takeover.role == .handingOver { checkHandoverProgress() }
        if draining && !stopping && counters.liveConnections == 0 {
            logger.info("every client drained")
            beginStop()
        }
        if stopping && counters.liveConnections == 0 && upstream?.isStopped != false { isFinished = true }
    }

    /// Re-arms receives that found the buffer ring empty, no more per turn than there are buffers for them:
    /// each had data waiting, so each takes a buffer at once, and re-arming all of a burst's thousands would
    /// have most of them fail with -ENOBUFS again, every turn — a storm that starved handshakes into their
    /// deadline when 7 shards with 128 buffers each shared a thread under 120,000 connects. The rest wait
    /// their turn in order; the ones re-armed complete at once, so the loop keeps turning until all are.
    func rearmStarvedReceives() {
        guard receivesToRearmStart < receivesToRearm.count else { return }
        let buffers = max(1, receiveBuffersUnpromised)
        let end = min(receivesToRearm.count, receivesToRearmStart + buffers)
        for client in receivesToRearm[receivesToRearmStart..<end] {
            // A takeover pause and resume since may have armed it again.
            guard let lifecycle = lifecycle(of: client), lifecycle.isOpen, !lifecycle.receiveArmed else { continue }
            perform(.armReceive, slot: client.slot)
        }
        receivesToRearmStart = end
        guard end == receivesToRearm.count else { return }
        // Keep a small list's storage; a burst's (every client starved at once) goes back.
        if receivesToRearm.capacity > 1_024 { releasedHeapBytes += receivesToRearm.capacity * 8 }
        receivesToRearm.removeAll(keepingCapacity: receivesToRearm.capacity <= 1_024)
        receivesToRearmStart = 0
    }

    public func turnMeasured(busyNanoseconds: UInt64, completionQueueOverflowed: Bool) {
        turnLatency.record(nanoseconds: busyNanoseconds)
        if completionQueueOverflowed { completionOverflowTurns &+= 1 }
    }

    func report() -> ShardReport {
        var counters = counters
        counters.upstream = upstream?.counters
        let pool = reportsThreadMemory ? chunks : nil
        return ShardReport(
            index: index, counters: counters, liveChunks: pool?.liveCount ?? 0,
            slabBytesInUse: pool?.slabBytesInUse ?? 0,
            heapBytesInUse: pool?.heapBytesInUse ?? 0, receiveBuffersLent: io.receiveBuffers.lentCount,
            queuedSendNodes: sendQueues.liveCount, slabBacking: io.slab.backing.description,
            hugePages: io.slab.backing.isHuge, loopTurns: turns, turnLatency: turnLatency,
            completionOverflowTurns: completionOverflowTurns,
            droppedCompletions: UInt64(io.ring.droppedCompletionCount)
                + UInt64(upstream?.ring.droppedCompletionCount ?? 0),
            slabBytes: reportsThreadMemory ? io.slab.byteCount : 0, shuttingDown: draining || stopping,
            chunkAllocationFailures: pool?.allocationFailureCount ?? 0)
    }

    // MARK: Accept

    private func acceptCompleted(_ completion: Completion) {
        let listener = Int(completion.tag.slot)
        if !completion.hasMore && !stopping && !draining && takeover.accepts {
            // The multishot accept ended (error or table full): re-arm on the next tick, not at once, so
            // a persistent error cannot spin the loop.
            wheel.schedule(CompletionTag(kind: .acceptRetry, slot: UInt32(listener)).rawValue, afterNanoseconds: 1)
        }
        guard completion.result >= 0 else {
            if completion.result != -ECANCELED {
                counters.acceptErrors += 1
                notices.notice(
                    "accept failed", peer: "\(listeners[listener].configuration.address)", level: .warning,
                    metadata: ["errno": "\(-completion.result)"], now: ShardLoop.now())
            }
            return
        }
        let slot = UInt32(completion.result)
        if stopping || draining {
            io.ring.closeDirect(fileIndex: slot, tag: CompletionTag(kind: .unadmittedClose, slot: slot))
            return
        }
        if memoryBudget > 0 && heldBytes >= memoryBudget - memoryBudget / 8 {
            // Near the memory budget: the peers already here keep what they hold; newcomers wait.
            counters.memoryRefusedAccepts &+= 1
            notices.notice(
                "refusing client: near the memory budget", peer: "\(listeners[listener].configuration.address)",
                level: .warning, metadata: ["held": "\(heldBytes)", "budget": "\(memoryBudget)"], now: ShardLoop.now())
            io.ring.closeDirect(fileIndex: slot, tag: CompletionTag(kind: .unadmittedClose, slot: slot))
            return
        }
        while connections.count <= Int(slot) { connections.append(ClientConnection()) }
        guard connections[Int(slot)].lifecycle == nil else {
            // Our table and the kernel's disagree (a close completion not seen yet): the newcomer goes,
            // the connection we know keeps its slot.
            unexpectedCompletion(completion, "accept into a file index still in use")
            io.ring.closeDirect(fileIndex: slot, tag: CompletionTag(kind: .unadmittedClose, slot: slot))
            return
        }
        counters.accepted += 1
        counters.liveConnections += 1
        let configuration = listeners[listener].configuration
        connections[Int(slot)].listener = UInt8(listener)
        connections[Int(slot)].resetTraffic(openedSecond: UInt32(truncatingIfNeeded: ShardLoop.now() / 1_000_000_000))
        connections[Int(slot)].decoder = listeners[listener].codec.initialDecoder
        connections[Int(slot)].holdsOutput = listeners[listener].codec.holdsOutputUntilHandshake
        let id = ClientID(slot: slot, generation: connections[Int(slot)].generation)
        if configuration.framing.isWebSocket || listeners[listener].tls != nil {
            // One deadline covers the TLS handshake and the WebSocket upgrade.
            wheel.schedule(
                CompletionTag(kind: .handshakeTimeout, generation: id.generation, slot: slot).rawValue,
                afterNanoseconds: configuration.handshakeTimeoutNanoseconds)
        }
        let tag = CompletionTag(kind: .peerName, generation: id.generation, slot: slot)
        let lookingUp =
            peerNameLookup && io.requestPeerName(fileIndex: slot, family: configuration.address.family, tag: tag)
        connections[Int(slot)].lifecycle = ClientLifecycle(resolvingPeer: lookingUp)
        if let context = listeners[listener].tls, !startTLS(slot: slot, context: context) {
            notices.notice(
                "closing client: no memory for a TLS session", peer: "\(configuration.address)", level: .warning,
                now: ShardLoop.now())
            close(id, reason: .tlsFailure, graceful: false)
            return
        }
        if !lookingUp { connectionOpened(slot) }
    }

    private func peerNameCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        let address = io.peerName(completing: completion)
        guard var lifecycle = connections[Int(slot)].lifecycle else {
            return unexpectedCompletion(completion, "peer name completion for a free slot")
        }
        if let address {
            if case .ipv4(let ip, _) = address { connections[Int(slot)].peerIPv4 = ip }
            connections[Int(slot)].peerPort = address.port
        } else if completion.result == -EOPNOTSUPP || completion.result == -EINVAL {
            peerNameLookup = false
            logger.notice(
                "this kernel cannot read a direct socket's peer address through io_uring (needs Linux 6.7); client addresses are reported as 0.0.0.0:0"
            )
        } else {
            counters.peerNameFailures += 1
        }
        let action = lifecycle.peerResolved()
        connections[Int(slot)].lifecycle = lifecycle
        if action == .armReceive {
            connectionOpened(slot)
        } else {
            perform(action, slot: slot)
        }
    }

    /// The connection is ready: tell the application and start receiving.
    private func connectionOpened(_ slot: UInt32) {
        connections[Int(slot)].announced = true
        armFirstReceive(ClientID(slot: slot, generation: connections[Int(slot)].generation))
        application.clientConnected(ClientID(slot: slot, generation: connections[Int(slot)].generation), on: self)
    }

    private func handshakeTimedOut(_ tag: CompletionTag) {
        let client = ClientID(slot: tag.slot, generation: tag.generation)
        guard let lifecycle = lifecycle(of: client) else { return }
        if lifecycle.phase == .pausing || lifecycle.phase == .paused {
            // Moving to a new process, which runs the rest of the deadline (it travels in the state); closing
            // here would shut a socket the new process may already serve. Should the move fail, this fires
            // again in a second and closes it then.
            wheel.schedule(tag.rawValue, afterNanoseconds: 1_000_000_000)
            return
        }
        let tlsPending = connections[Int(tag.slot)].usesTLS && !connections[Int(tag.slot)].tlsEstablished
        if !tlsPending {
            guard case .httpHead = connections[Int(tag.slot)].decoder else { return }
        } else {
            countTLSFailure(.timeout)
        }
        notices.notice("handshake timeout", peer: peerDescription(tag.slot), level: .info, now: ShardLoop.now())
        close(client, reason: .handshakeTimeout, graceful: false)
    }

    // MARK: Queries

    func lifecycle(of client: ClientID) -> ClientLifecycle? {
        guard Int(client.slot) < connections.count else { return nil }
        let connection = connections[Int(client.slot)]
        guard connection.generation & 0xFF_FFFF == client.generation & 0xFF_FFFF else { return nil }
        return connection.lifecycle
    }

    /// Whether `client` is still connected.
    public func isConnected(_ client: ClientID) -> Bool {
        lifecycle(of: client)?.acceptsOutput ?? false
    }

    /// The client's address as the kernel reported it.
    public func peerAddress(of client: ClientID) -> SocketAddress? {
        guard lifecycle(of: client) != nil else { return nil }
        let connection = connections[Int(client.slot)]
        return .ipv4(address: connection.peerIPv4, port: connection.peerPort)
    }

    /// The port clients of listener `index` connect to (the header's gateway_port).
    func listenerPort(_ index: Int) -> UInt16 { listeners[index].configuration.address.port }

    func peerDescription(_ slot: UInt32) -> String {
        let connection = connections[Int(slot)]
        let ip = connection.peerIPv4
        return "\(ip >> 24).\((ip >> 16) & 0xFF).\((ip >> 8) & 0xFF).\(ip & 0xFF):\(connection.peerPort)"
    }

    // MARK: Stop

    private func beginStop() {
        guard !stopping else { return }
        if !draining { cancelAccepts() }
        stopping = true
        for slot in connections.indices where connections[slot].lifecycle != nil {
            close(
                ClientID(slot: UInt32(slot), generation: connections[slot].generation), reason: .shutdown,
                graceful: false)
        }
        upstream?.beginStop(on: self)
    }

    func cancelAccepts() {
        for index in listeners.indices {
            io.ring.cancel(
                CompletionTag(kind: .accept, slot: UInt32(index)),
                tag: CompletionTag(kind: .acceptCancel, slot: UInt32(index)))
        }
    }

    /// Stops accepting and closes every client gracefully: what is queued is flushed first, WebSocket
    /// clients then get close 1001 (going away), and the FIN follows. Workers stay connected meanwhile
    /// so the clients' ON_CLOSE events reach them; the shard stops once every client is gone or
    /// `drainNanoseconds` passed.
    private func beginDrain(drainNanoseconds: UInt64) {
        guard !draining && !stopping else { return }
        draining = true
        cancelAccepts()
        upstream?.beginLeaving(on: self)
        wheel.schedule(CompletionTag(kind: .drainDeadline).rawValue, afterNanoseconds: drainNanoseconds)
        // One close frame for every WebSocket client, queued by reference like a broadcast.
        let frame = WebSocketClose.frame(code: 1001)
        let goingAway = chunks.allocate(capacity: frame.count)
        chunks.write(frame.span, to: goingAway, at: 0)
        defer { chunks.release(goingAway) }
        for slot in connections.indices {
            guard let lifecycle = connections[slot].lifecycle else { continue }
            let client = ClientID(slot: UInt32(slot), generation: connections[slot].generation)
            guard lifecycle.acceptsOutput else {
                close(client, reason: .shutdown, graceful: false)
                continue
            }
            switch connections[slot].decoder {
            case .httpHead:
                close(client, reason: .shutdown, graceful: false)
                continue
            case .webSocket:
                enqueue(goingAway, range: 0..<frame.count, to: client)
            case .text, .lengthField, .raw:
                break
            }
            close(client, reason: .shutdown, graceful: true)
        }
        logger.info("draining", metadata: ["clients": "\(counters.liveConnections)"])
    }

    private func drainDeadlinePassed() {
        guard draining && !stopping else { return }
        logger.warning(
            "drain time over, closing the clients left", metadata: ["clients": "\(counters.liveConnections)"])
        beginStop()
    }
}

@available(*, unavailable)
extension ClientShard: Sendable {}
