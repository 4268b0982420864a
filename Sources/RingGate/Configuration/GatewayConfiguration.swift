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
    /// Bytes of slab (huge pages when available) per shard for receive buffers and chunks.
    public var slabBytesPerShard = 16 << 20
    public var useHugePages = true
    /// A hugetlbfs mount to map the slab from instead of MAP_HUGETLB.
    public var hugetlbfsDirectory: String?
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

    /// Each shard's part of `memoryBudgetBytes`; 0 when there is no budget.
    public var memoryBudgetPerShard: Int {
        guard let memoryBudgetBytes, memoryBudgetBytes > 0 else { return 0 }
        return max(1, memoryBudgetBytes / max(1, shardCount))
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
