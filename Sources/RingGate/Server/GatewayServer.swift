import Dispatch
import Logging
import RingGateCodecs
import RingGateRuntime
import RingGateTLS
import Synchronization

/// A running gateway: its shards, each a pinned thread with its own ring, listener sockets, connection
/// table and timers.
public final class GatewayServer: Sendable {
    public let configuration: GatewayConfiguration
    /// The listeners' bound addresses (with the real port where 0 was configured), in configuration order.
    public let boundAddresses: [SocketAddress]
    /// Each shard's inner address (workers, GatewayClient), as registered and encoded into client_ids;
    /// empty without an upstream configuration. A `startPort` of 0 gives each shard a free port.
    public let innerAddresses: [SocketAddress]
    let shards: [ShardHandle]
    private let logger: Logger
    /// The TLS context each listener's new handshakes use (nil for plain listeners); replaced by
    /// `reloadTLS`.
    private let tlsContexts: Mutex<[TLSContext?]>

    final class ShardHandle: Sendable {
        let mailbox: ShardMailbox<ShardMessage>
        let thread: Mutex<ShardThread?> = Mutex(nil)
        let sockets: [ListeningSocket]
        /// The shard's inner listener (workers, GatewayClient), when it is a GatewayWorker gateway.
        let innerSocket: ListeningSocket?
        init(mailbox: ShardMailbox<ShardMessage>, sockets: [ListeningSocket], innerSocket: ListeningSocket?) {
            self.mailbox = mailbox
            self.sockets = sockets
            self.innerSocket = innerSocket
        }
    }

    /// A GatewayWorker gateway: every shard relays its clients to workers (`configuration.upstream`
    /// must be set).
    public convenience init(configuration: GatewayConfiguration, logger: Logger = Logger(label: "ringgate")) throws {
        precondition(configuration.upstream != nil, "a gateway needs its upstream configuration")
        try self.init(configuration: configuration, logger: logger, makeApplication: nil, adopting: nil)
    }

    /// A gateway taking over from an old process (`ringgate upgrade`): it listens on the old process's
    /// sockets and its shards accept nothing until each adopts the old shard's clients (`adopt`) or is
    /// told none are coming (`startWithoutAdoption`).
    public convenience init(
        configuration: GatewayConfiguration, logger: Logger = Logger(label: "ringgate"), adopting: TakeoverSockets,
        makeApplication: (@Sendable (Int) -> ClientApplication)? = nil
    ) throws {
        try self.init(
            configuration: configuration, logger: logger, makeApplication: makeApplication, adopting: adopting)
    }

    /// Shards running a local application (echo, benchmarks): `makeApplication` is called on each
    /// shard's thread with the shard index.
    public convenience init(
        configuration: GatewayConfiguration, logger: Logger = Logger(label: "ringgate"),
        makeApplication: @escaping @Sendable (Int) -> ClientApplication
    ) throws {
        try self.init(
            configuration: configuration, logger: logger, makeApplication: Optional(makeApplication), adopting: nil)
    }

    /// Binds every listener on every shard and starts the shards; returns once all are accepting.
    private init(
        configuration: GatewayConfiguration, logger: Logger,
        makeApplication: (@Sendable (Int) -> ClientApplication)?, adopting: TakeoverSockets?
    ) throws {
        // "One thread per CPU" is resolved here, once: inside a thread pinned to one CPU, `CPUs.allowed` is
        // that one CPU, and each thread would have taken itself for the only one (its memory budget share
        // then came out as if it ran every shard).
        var configuration = configuration
        configuration.threadCount = configuration.effectiveThreadCount
        self.configuration = configuration
        self.logger = logger
        precondition(configuration.shardCount > 0, "at least one shard")
        Heap.keepLargeBlocksMapped()
        // Certificates load once per process; every shard's sessions share the contexts.
        tlsContexts = Mutex(try Self.loadTLS(configuration.listeners))
        let contexts = tlsContexts.withLock { $0 }
        // Shard 0 binds first so a port-0 listener learns its port; the others bind the same port with
        // SO_REUSEPORT and the kernel spreads connections over them.
        var sockets: [[ListeningSocket]] = Array(repeating: [], count: configuration.shardCount)
        var bound: [SocketAddress] = []
        if let adopting {
            try adopting.check(against: configuration)
            sockets = adopting.clientListeners
            bound = adopting.clientListeners[0].map(\.address)
        }
        for listener in configuration.listeners where adopting == nil {
            var address = listener.address
            for shard in 0..<configuration.shardCount {
                let socket = try ListeningSocket(binding: address)
                if shard == 0 {
                    address = socket.address
                    bound.append(address)
                }
                sockets[shard].append(socket)
            }
        }
        boundAddresses = bound
        var innerSockets: [ListeningSocket?] = Array(repeating: nil, count: configuration.shardCount)
        if let adopting, configuration.upstream != nil {
            innerSockets = adopting.innerListeners
        } else if let upstream = configuration.upstream {
            for shard in 0..<configuration.shardCount {
                let address = upstream.innerAddress(shard: shard)
                do {
                    innerSockets[shard] = try ListeningSocket(binding: address, reusePort: false)
                } catch {
                    throw ConfigurationError(
                        "cannot listen for workers on \(address) (shard \(shard) of startPort \(upstream.startPort)): "
                            + "\(error)")
                }
            }
        }
        innerAddresses = innerSockets.compactMap { $0?.address }
        shards = try zip(sockets, innerSockets).map {
            ShardHandle(mailbox: try ShardMailbox<ShardMessage>(), sockets: $0, innerSocket: $1)
        }
        let started = DispatchSemaphore(value: 0)
        let failures = Mutex<[String]>([])
        let cpus = CPUs.allowed
        let threadCount = configuration.effectiveThreadCount
        for thread in 0..<threadCount {
            // Shard i runs on thread i mod threads; the thread's first shard's ring is the one it sleeps in.
            let members = Array(stride(from: thread, to: shards.count, by: threadCount))
            let configuration = self.configuration
            let handles = members.map { shards[$0] }
            let cpu = configuration.pinThreads ? cpus[thread % cpus.count] : nil
            let shardThread = ShardThread(name: "ringgate-\(thread)", cpu: cpu) {
                var runners: [ShardRunner] = []
                var memory: ThreadMemory?
                do {
                    memory = try ThreadMemory(thread: thread, shards: members.count, configuration: configuration)
                } catch {
                    failures.withLock { $0.append("thread \(thread): \(error)") }
                }
                for (position, (index, handle)) in zip(members, handles).enumerated() {
                    var shardLogger = logger
                    shardLogger[metadataKey: "shard"] = "\(index)"
                    do {
                        guard let memory else { throw ConfigurationError("no slab for its thread") }
                        if position == 0 { memory.logBacking(logger: shardLogger, firstThread: thread == 0) }
                        runners.append(
                            try Self.makeShard(
                                index: index, configuration: configuration, handle: handle, memory: memory,
                                tlsContexts: contexts, logger: shardLogger, firstOnThread: position == 0,
                                awaitsAdoption: adopting != nil, makeApplication: makeApplication))
                    } catch {
                        failures.withLock { $0.append("shard \(index): \(error)") }
                    }
                    started.signal()
                }
                // A shard that failed to start fails the whole server (`init` stops the others).
                guard runners.count == members.count else { return }
                ShardLoop.run(group: runners.map { ($0.loop, $0.shard) })
            }
            handles[0].thread.withLock { $0 = shardThread }
        }
        for _ in shards { started.wait() }
        let problems = failures.withLock { $0 }
        if !problems.isEmpty {
            stop()
            throw ConfigurationError(problems.joined(separator: "; "))
        }
    }

    /// Builds one shard's ring, memory and handler on its own thread.
    /// `firstOnThread`: the shard whose ring its thread sleeps in; the others' rings are polled from it,
    /// and only the first reports the thread's shared slab and chunk pool (so sums over shards count them once).
    private static func makeShard(
        index: Int, configuration: GatewayConfiguration, handle: ShardHandle, memory: ThreadMemory,
        tlsContexts: [TLSContext?], logger: Logger, firstOnThread: Bool, awaitsAdoption: Bool,
        makeApplication: (@Sendable (Int) -> ClientApplication)?
    ) throws -> ShardRunner {
        let ring = try Ring(entries: 4096, completionEntries: 65536, pollable: !firstOnThread)
        try ring.registerFileTable(count: UInt32(configuration.effectiveConnectionsPerShard))
        if !ring.keepsOverflowedCompletions && index == 0 {
            logger.warning(
                "this kernel lacks IORING_FEAT_NODROP (Linux 5.5): a completion queue burst can drop completions")
        }
        let buffers = try BufferRing(
            ring: ring, slab: memory.slab, groupID: 1, bufferCount: memory.clientBuffersPerShard,
            bufferSize: configuration.receiveBufferSize)
        let io = ShardIO(ring: ring, slab: memory.slab, receiveBuffers: buffers, chunks: memory.chunks)
        let listeners = zip(configuration.listeners, handle.sockets).enumerated().map { index, pair in
            var listener = pair.0
            listener.address = pair.1.address
            return ShardListener(
                descriptor: pair.1.descriptor, configuration: listener, codec: ListenerCodec(listener),
                tls: tlsContexts[index])
        }
        var gateway: ShardGateway?
        if let upstream = configuration.upstream, let innerSocket = handle.innerSocket {
            gateway = try makeGateway(
                index: index, upstream: upstream, io: io, innerSocket: innerSocket,
                bufferCount: memory.upstreamBuffersPerShard, logger: logger)
        }
        guard let application = gateway ?? makeApplication?(index) else {
            preconditionFailure("a shard needs an application or an upstream configuration")
        }
        let shard = ClientShard(
            index: index, io: io, listeners: listeners, application: application, mailbox: handle.mailbox,
            tickNanoseconds: configuration.tickNanoseconds, logger: logger)
        shard.upstream = gateway
        // The table can never outgrow the file table: reserving it whole means no doubling copies (each
        // left its predecessor in the malloc arena) and, mapped untouched, costs only the pages in use.
        shard.connections.reserveCapacity(configuration.effectiveConnectionsPerShard)
        shard.memoryBudget = memory.budget
        shard.reportsThreadMemory = firstOnThread
        if awaitsAdoption { shard.takeover.role = .awaitingAdoption }
        shard.start()
        return ShardRunner(
            loop: ShardLoop(
                io: io, tickNanoseconds: configuration.tickNanoseconds, wakeupDescriptor: handle.mailbox.eventDescriptor
            ),
            shard: shard)
    }

    /// The worker-facing half of a gateway shard: its own pollable ring, file table and receive buffers
    /// (sharing the client ring's slab and chunk pool).
    private static func makeGateway(
        index: Int, upstream: UpstreamConfiguration, io: ShardIO, innerSocket: ListeningSocket, bufferCount: Int,
        logger: Logger
    ) throws -> ShardGateway {
        let ring = try Ring(entries: 1024, completionEntries: 16384, pollable: true)
        // Inner links plus one slot per Register link (they share the table).
        try ring.registerFileTable(
            count: UInt32(clamping: upstream.innerConnectionLimit + upstream.registerAddresses.count))
        let buffers = try BufferRing(
            ring: ring, slab: io.slab, groupID: 1, bufferCount: bufferCount,
            bufferSize: upstream.receiveBufferSize)
        let upstreamIO = ShardIO(ring: ring, slab: io.slab, receiveBuffers: buffers, chunks: io.chunks)
        return ShardGateway(
            index: index, configuration: upstream, io: upstreamIO, innerListener: innerSocket, logger: logger)
    }

    /// Loads every TLS listener's certificates; throws naming the listener and OpenSSL's reason.
    public static func loadTLS(_ listeners: [ListenerConfiguration]) throws(ConfigurationError) -> [TLSContext?] {
        var contexts: [TLSContext?] = []
        for listener in listeners {
            guard let tls = listener.tls else {
                if listener.requiresTLS {
                    throw ConfigurationError(
                        "listener \(listener.scheme)://\(listener.address) is a TLS listener but has no certificate: "
                            + "give it a tls block (certificate, private_key)")
                }
                contexts.append(nil)
                continue
            }
            do {
                contexts.append(try TLSContext(server: tls))
            } catch {
                throw ConfigurationError("listener \(listener.scheme)://\(listener.address): \(error.message)")
            }
        }
        return contexts
    }

    /// The certificates new handshakes use, per listener (nil for plain listeners).
    public var currentTLSContexts: [TLSContext?] { tlsContexts.withLock { $0 } }

    /// Loads `listeners`' TLS settings (same listeners, same order, as started) and hands them to every
    /// shard for new handshakes; established connections keep their sessions. Nothing changes when a
    /// file is bad: the error says which and the old certificates stay in use.
    public func reloadTLS(_ listeners: [ListenerConfiguration]) throws(ConfigurationError) {
        guard listeners.count == configuration.listeners.count else {
            throw ConfigurationError("the listeners changed: a restart is needed")
        }
        for (old, new) in zip(configuration.listeners, listeners) where (old.tls == nil) != (new.tls == nil) {
            throw ConfigurationError(
                "listener \(old.address) switched between plain and TLS: a restart is needed")
        }
        let contexts = try Self.loadTLS(listeners)
        tlsContexts.withLock { $0 = contexts }
        let done = DispatchSemaphore(value: 0)
        for shard in shards {
            shard.mailbox.post(
                .execute { shard in
                    for (index, context) in contexts.enumerated() {
                        if let context { shard.replaceTLSContext(context, listener: index) }
                    }
                    done.signal()
                })
        }
        for _ in shards { _ = done.wait(timeout: .now() + 5) }
        logger.info("TLS certificates reloaded", metadata: ["listeners": "\(contexts.compactMap { $0 }.count)"])
    }

    /// Figures of every shard, taken on the shards' threads (waits up to `timeoutSeconds`).
    public func reports(timeoutSeconds: Double = 5) -> [ShardReport] {
        let collected = Mutex<[ShardReport]>([])
        let done = DispatchSemaphore(value: 0)
        for shard in shards {
            shard.mailbox.post(
                .report { report in
                    collected.withLock { $0.append(report) }
                    done.signal()
                })
        }
        // One deadline for all: a stopped shard must not cost the timeout once per shard.
        let deadline = DispatchTime.now() + timeoutSeconds
        for _ in shards { _ = done.wait(timeout: deadline) }
        return collected.withLock { $0 }.sorted { $0.index < $1.index }
    }

    /// One page of shard `index`'s clients (see `ClientShard.connectionPage`), taken on its thread; nil
    /// when the shard did not answer within `timeoutSeconds`.
    public func connectionPage(shard index: Int, cursor: Int, limit: Int, timeoutSeconds: Double = 5)
        -> ConnectionPage?
    {
        let page = Mutex<ConnectionPage?>(nil)
        let done = DispatchSemaphore(value: 0)
        shards[index].mailbox.post(
            .execute { shard in
                let taken = shard.connectionPage(from: cursor, limit: limit)
                page.withLock { $0 = taken }
                done.signal()
            })
        guard done.wait(timeout: .now() + timeoutSeconds) == .success else { return nil }
        return page.withLock { $0 }
    }

    /// Runs `body` on shard `index`'s thread and waits for it.
    public func onShard(_ index: Int, _ body: @escaping @Sendable (ClientShard) -> Void) {
        let done = DispatchSemaphore(value: 0)
        shards[index].mailbox.post(
            .execute { shard in
                body(shard)
                done.signal()
            })
        done.wait()
    }

    /// Graceful shutdown: every shard stops accepting, leaves the Register, flushes what its clients have
    /// queued and closes them (WebSocket close 1001, then FIN), then closes its workers' connections.
    /// Clients still open after `drainSeconds` are closed abortively. Returns once every shard ended.
    public func drainAndStop(drainSeconds: Double) {
        let nanoseconds = UInt64(max(0, drainSeconds) * 1e9)
        for shard in shards { shard.mailbox.post(.drain(drainNanoseconds: nanoseconds)) }
        joinShards()
    }

    /// Stops every shard (clients are closed) and waits for their threads.
    public func stop() {
        for shard in shards { shard.mailbox.post(.stop) }
        joinShards()
    }

    private func joinShards() {
        for shard in shards {
            let thread = shard.thread.withLock { thread in
                defer { thread = nil }
                return thread
            }
            thread?.join()
        }
    }
}

/// The loop and handler of one shard, kept together on its thread.
struct ShardRunner {
    let loop: ShardLoop
    let shard: ClientShard
}
