import RingGate

/// What `/status` returns and `ringgate status` prints: the process and each shard, as JSON.
public struct StatusDocument: Codable, Sendable, Equatable {
    public var pid: Int32
    public var version: String
    public var state: String
    public var uptimeSeconds: Double
    public var memory: ProcessMemory
    public var listeners: [String]
    public var workerAddresses: [String]
    public var shards: [Shard]
    public var register: Register?
    /// Shards that did not answer in time (a stuck shard is what a watchdog is for).
    public var shardsNotAnswering: Int

    public struct ProcessMemory: Codable, Sendable, Equatable {
        public var rssBytes: UInt64
        public var rssAnonBytes: UInt64
        public var hugetlbBytes: UInt64
    }

    public struct Shard: Codable, Sendable, Equatable {
        public var index: Int
        public var connections: Int
        public var accepted: UInt64
        public var acceptErrors: UInt64
        public var messagesIn: UInt64
        public var messagesOut: UInt64
        public var bytesIn: UInt64
        public var bytesOut: UInt64
        /// Closes because a send failed.
        public var sendFailures: UInt64
        /// Messages dropped because the client's send queue was full.
        public var sendQueueDrops: UInt64
        /// Connections closed for bad input (any protocol error).
        public var badInputCloses: UInt64
        public var closes: [String: UInt64]
        public var badInput: [String: UInt64]
        public var workersConnected: Int
        public var innerConnections: Int
        public var rebinds: UInt64
        public var registerConnected: Int
        public var deliveries: UInt64
        public var slabBytes: Int
        public var slabBytesInUse: Int
        public var slabBacking: String
        public var hugePages: Bool
        public var loopTurns: UInt64
        public var completionOverflowTurns: UInt64
    }

    public struct Register: Codable, Sendable, Equatable {
        public var listen: String
        public var connections: Int
        public var gatewaysRegistered: Int
        public var workersConnected: Int
        public var badRequests: UInt64
        public var authFailures: UInt64
    }
}

extension StatusDocument.Shard {
    init(_ report: ShardReport) {
        let counters = report.counters
        let upstream = counters.upstream
        index = report.index
        connections = counters.liveConnections
        accepted = counters.accepted
        acceptErrors = counters.acceptErrors
        messagesIn = counters.messagesIn
        messagesOut = counters.messagesOut
        bytesIn = counters.bytesIn
        bytesOut = counters.bytesOut
        sendFailures = counters.closes[.sendFailed, default: 0]
        sendQueueDrops = counters.sendQueueDrops
        badInputCloses = counters.badInput.values.reduce(0, +)
        closes = Dictionary(uniqueKeysWithValues: counters.closes.map { ($0.key.rawValue, $0.value) })
        badInput = Dictionary(uniqueKeysWithValues: counters.badInput.map { ($0.key.rawValue, $0.value) })
        workersConnected = upstream?.workersRegistered ?? 0
        innerConnections = upstream?.innerOpen ?? 0
        rebinds = upstream?.rebinds ?? 0
        registerConnected = upstream?.registerConnected ?? 0
        deliveries = upstream?.deliveries ?? 0
        slabBytes = report.slabBytes
        slabBytesInUse = report.slabBytesInUse
        slabBacking = report.slabBacking
        hugePages = report.hugePages
        loopTurns = report.loopTurns
        completionOverflowTurns = report.completionOverflowTurns
    }
}
