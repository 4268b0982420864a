import Dispatch
import Logging
import RingGateCodecs
import RingGateRuntime
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
    private let shards: [ShardHandle]
    private let logger: Logger

    private final class ShardHandle: Sendable {
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
        try self.init(configuration: configuration, logger: logger, makeApplication: nil)
    }

    /// Shards running a local application (echo, benchmarks): `makeApplication` is called on each
    /// shard's thread with the shard index.
    public convenience init(
        configuration: GatewayConfiguration, logger: Logger = Logger(label: "ringgate"),
        makeApplication: @escaping @Sendable (Int) -> ClientApplication
    ) throws {
        try self.init(configuration: configuration, logger: logger, makeApplication: Optional(makeApplication))
    }

    /// Binds every listener on every shard and starts the shards; returns once all are accepting.
    private init(
        configuration: GatewayConfiguration, logger: Logger,
        makeApplication: (@Sendable (Int) -> ClientApplication)?
    ) throws {
        self.configuration = configuration
        self.logger = logger
        precondition(configuration.shardCount > 0, "at least one shard")
        Heap.keepLargeBlocksMapped()
        // Shard 0 binds first so a port-0 listener learns its port; the others bind the same port with
        // SO_REUSEPORT and the kernel spreads connections over them.
        var sockets: [[ListeningSocket]] = Array(repeating: [], count: configuration.shardCount)
        var bound: [SocketAddress] = []
        for listener in configuration.listeners {
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
        if let upstream = configuration.upstream {
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
        let cpus = CPUs.onlineCount
        for (index, handle) in shards.enumerated() {
            let configuration = self.configuration
            let shardLogger = {
                var shardLogger = logger
                shardLogger[metadataKey: "shard"] = "\(index)"
                return shardLogger
            }()
            let thread = ShardThread(name: "ringgate-\(index)", cpu: configuration.pinThreads ? index % cpus : nil) {
                do {
                    let loop = try Self.makeShard(
                        index: index, configuration: configuration, handle: handle, logger: shardLogger,
                        makeApplication: makeApplication)
                    started.signal()
                    loop.run()
                } catch {
                    failures.withLock { $0.append("shard \(index): \(error)") }
                    started.signal()
                }
            }
            handle.thread.withLock { $0 = thread }
        }
        for _ in shards { started.wait() }
        let problems = failures.withLock { $0 }
        if !problems.isEmpty {
            stop()
            throw ConfigurationError(problems.joined(separator: "; "))
        }
    }

    /// Builds one shard's ring, memory and handler on its own thread.
    private static func makeShard(
        index: Int, configuration: GatewayConfiguration, handle: ShardHandle, logger: Logger,
        makeApplication: (@Sendable (Int) -> ClientApplication)?
    ) throws -> ShardRunner {
        let ring = try Ring(entries: 4096, completionEntries: 65536)
        try ring.registerFileTable(count: UInt32(configuration.effectiveConnectionsPerShard))
        let slab = try HugePageSlab(
            byteCount: configuration.slabBytesPerShard, hugePages: configuration.useHugePages,
            hugetlbfsDirectory: configuration.hugetlbfsDirectory)
        if !ring.keepsOverflowedCompletions && index == 0 {
            logger.warning(
                "this kernel lacks IORING_FEAT_NODROP (Linux 5.5): a completion queue burst can drop completions")
        }
        if case .normalPages(let reason) = slab.backing, index == 0 {
            logger.notice("slab uses normal pages: \(reason)")
        }
        let buffers = try BufferRing(
            ring: ring, slab: slab, groupID: 1, bufferCount: configuration.receiveBufferCount,
            bufferSize: configuration.receiveBufferSize)
        let io = ShardIO(ring: ring, slab: slab, receiveBuffers: buffers)
        let listeners = zip(configuration.listeners, handle.sockets).map { listener, socket in
            var listener = listener
            listener.address = socket.address
            return ShardListener(descriptor: socket.descriptor, configuration: listener, codec: ListenerCodec(listener))
        }
        var gateway: ShardGateway?
        if let upstream = configuration.upstream, let innerSocket = handle.innerSocket {
            gateway = try makeGateway(
                index: index, upstream: upstream, io: io, innerSocket: innerSocket, logger: logger)
        }
        guard let application = gateway ?? makeApplication?(index) else {
            preconditionFailure("a shard needs an application or an upstream configuration")
        }
        let shard = ClientShard(
            index: index, io: io, listeners: listeners, application: application, mailbox: handle.mailbox,
            tickNanoseconds: configuration.tickNanoseconds, logger: logger)
        shard.upstream = gateway
        shard.memoryBudget = configuration.memoryBudgetPerShard
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
        index: Int, upstream: UpstreamConfiguration, io: ShardIO, innerSocket: ListeningSocket, logger: Logger
    ) throws -> ShardGateway {
        let ring = try Ring(entries: 1024, completionEntries: 16384, pollable: true)
        // Inner links plus one slot per Register link (they share the table).
        try ring.registerFileTable(
            count: UInt32(clamping: upstream.innerConnectionLimit + upstream.registerAddresses.count))
        let buffers = try BufferRing(
            ring: ring, slab: io.slab, groupID: 1, bufferCount: upstream.receiveBufferCount,
            bufferSize: upstream.receiveBufferSize)
        let upstreamIO = ShardIO(ring: ring, slab: io.slab, receiveBuffers: buffers, chunks: io.chunks)
        return ShardGateway(
            index: index, configuration: upstream, io: upstreamIO, innerListener: innerSocket, logger: logger)
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
        for _ in shards { _ = done.wait(timeout: .now() + timeoutSeconds) }
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
    func run() { loop.run(shard) }
}
