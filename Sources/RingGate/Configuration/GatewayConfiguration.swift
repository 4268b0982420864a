import RingGateRuntime

/// How a gateway process lays itself out over the machine.
public struct GatewayConfiguration: Sendable {
    public var listeners: [ListenerConfiguration]
    /// Shards, each with its own rings, listener sockets, connection table and timers. Defaults to the CPUs
    /// this process may use. More shards than CPUs is how one process holds more connections than one ring's
    /// file table allows (RLIMIT_NOFILE caps each table).
    public var shardCount: Int = CPUs.allowed.count
    /// Threads the shards run on; nil: one per CPU this process may use, at most one per shard. Shard i runs
    /// on thread i mod threads; the shards of one thread take turns in one loop (`ShardLoop.run(group:)`), so
    /// 58 shards on 2 CPUs are 2 threads, not 58 threads preempting each other.
    public var threadCount: Int?
    /// Pin thread t to the t-th CPU (mod count) of the process's affinity set (`CPUs.allowed`).
    public var pinThreads = true

    /// The threads that will run the shards.
    public var effectiveThreadCount: Int {
        max(1, min(shardCount, threadCount ?? CPUs.allowed.count))
    }
    /// Direct-descriptor table size per shard; nil: RLIMIT_NOFILE minus a reserve.
    public var connectionsPerShard: Int?
    /// Bytes of slab (huge pages when available) per thread, shared by the thread's shards: their receive
    /// buffers and one chunk pool. Grown when the thread's shards' buffer rings need more (`slabBytes(onThread:)`).
    public var slabBytesPerThread = 16 << 20
    public var useHugePages = true
    /// A hugetlbfs mount to map the slab from instead of MAP_HUGETLB.
    public var hugetlbfsDirectory: String?
    /// Client receive buffers per thread, split between the thread's shards' rings (`receiveBuffersPerShard`).
    public var receiveBufferCount = 1024
    public var receiveBufferSize = 4096
    /// Granularity of the per-shard timing wheel.
    public var tickNanoseconds: UInt64 = 100_000_000
    /// The GatewayWorker side (inner ports, Register, secret, heartbeat); nil runs the shards with a
    /// local application only (echo, benchmarks).
    public var upstream: UpstreamConfiguration?
    /// Bytes of peer-held memory (message assemblies, send chunks) the whole process may hold, split
    /// evenly between shards; nil: no budget. Near it new connections are refused and a message that
    /// would cross it closes its connection (`limits.memory_mib`).
    public var memoryBudgetBytes: Int? = MemoryBudget.defaultBytes()

    /// The shards thread `thread` runs (shard i on thread i mod threads).
    public func shards(onThread thread: Int) -> [Int] {
        Array(stride(from: thread, to: shardCount, by: effectiveThreadCount))
    }

    /// A thread's part of `memoryBudgetBytes` (its shards share one chunk pool, so they share the budget);
    /// 0 when there is no budget.
    public func memoryBudget(onThread thread: Int) -> Int {
        guard let memoryBudgetBytes, memoryBudgetBytes > 0 else { return 0 }
        return max(1, memoryBudgetBytes * shards(onThread: thread).count / max(1, shardCount))
    }

    /// Client receive buffers of each shard's ring when `shards` shards share a thread: the thread's
    /// `receiveBufferCount` split between them, a power of two, at least 16. A buffer is held only while its
    /// completion is handled, and a turn arms no more first receives than there are buffers
    /// (`ClientShard.armFirstReceive`), so 58 shards with 16 each take a connect burst as 7 with 128 do;
    /// a floor of 64 made them 14.5 MiB of slab where the thread's share is 4 MiB.
    public func receiveBuffersPerShard(shardsOnThread shards: Int) -> Int {
        Self.powerOfTwo(atMost: receiveBufferCount / max(1, shards), atLeast: min(16, receiveBufferCount))
    }

    /// Receive buffers of each shard's upstream ring when `shards` shards share a thread (at least 4).
    public func upstreamBuffersPerShard(shardsOnThread shards: Int) -> Int {
        guard let upstream else { return 0 }
        return Self.powerOfTwo(
            atMost: upstream.receiveBufferCount / max(1, shards), atLeast: min(4, upstream.receiveBufferCount))
    }

    /// The slab a thread of `shards` shards maps: `slabBytesPerThread`, or more when the shards' buffer rings
    /// plus a 4 MiB chunk reserve need more (many shards on one thread, each with its own rings).
    public func slabBytes(shardsOnThread shards: Int) -> Int {
        let clientRings = receiveBuffersPerShard(shardsOnThread: shards) * receiveBufferSize
        let upstreamRings = upstreamBuffersPerShard(shardsOnThread: shards) * (upstream?.receiveBufferSize ?? 0)
        return max(slabBytesPerThread, shards * (clientRings + upstreamRings) + (4 << 20))
    }

    private static func powerOfTwo(atMost limit: Int, atLeast floor: Int) -> Int {
        var value = 1
        while value * 2 <= limit { value *= 2 }
        return max(value, floor)
    }

    public init(listeners: [ListenerConfiguration]) {
        self.listeners = listeners
    }

    /// The file-table size each shard will register.
    public var effectiveConnectionsPerShard: Int {
        if let connectionsPerShard { return connectionsPerShard }
        let limit = Int(min(ResourceLimits.openFiles, 1 << 20))
        return max(64, limit - 256)
    }
}
