/// `takeover`: N WebSocket clients (a share chatting through a Swift worker, a share with a session, a uid
/// and a group) while `ringgate upgrade` hands them to a new process. What the lead reads: clients dropped,
/// messages lost, the longest pause a chatter saw, the upgrade's own figures, memory before and after.
public struct TakeoverResult: Codable, Sendable {
    public var clients = 0
    public var chatters = 0
    public var chatIntervalMilliseconds = 0.0
    public var shards = 0
    /// Clients the worker gave a session, a uid and a group at connect (every `stateEvery`-th connect).
    public var clientsWithState = 0
    /// The worker's reconnect delay (GatewayWorker's is 1 s): worker links closed by the old process come
    /// back after it, and the clients' events of that window wait in the gateway.
    public var workerReconnectMilliseconds = 0
    /// Seconds from the start of chatting to the upgrade command.
    public var warmupSeconds = 0.0
    /// Seconds of chat after the old process exited.
    public var afterSeconds = 0.0

    public var oldPID: Int32 = 0
    public var newPID: Int32 = 0
    /// `ringgate upgrade`'s exit status and output (its last line is the `done:` line).
    public var upgradeExitStatus: Int32 = -1
    public var upgradeOutput = ""
    public var upgrade: UpgradeReport?
    /// Wall time of the `ringgate upgrade` command, and until the old process had exited.
    public var upgradeCommandSeconds = 0.0
    public var oldExitSeconds: Double?
    public var oldExitStatus: Int32?

    public var memoryBefore = ProcessMemory()
    public var memoryAfter = ProcessMemory()

    /// The cluster's view through GatewayClient, before the upgrade and after it.
    public var stateBefore = TakeoverClusterState()
    public var stateAfter = TakeoverClusterState()
    /// Connections per shard in the new process's /status, after the upgrade.
    public var connectionsPerShardAfter: [Int] = []

    /// The new process's `ringgate_takeover…` lines from /metrics after the upgrade (empty when it exports
    /// none; optional so that results written before it existed still decode).
    public var takeoverMetricsAfter: [String]?
    /// Idle (generator) clients established before the upgrade (the rest failed to connect; see the notes).
    public var idleConnected = 0
    /// Idle (generator) clients the gateway closed, and those still open and answering at the end.
    public var idleClosed = 0
    public var idleOpenAtEnd = 0
    public var idleVerifiedAtEnd = 0
    /// Seconds the chatters ran (sent ÷ this is the chat rate the harness achieved).
    public var chatSeconds = 0.0
    public var chatSent = 0
    public var chatEchoed = 0
    public var chatLost = 0
    /// Send times (s from the start of chatting) of the first lost chat messages.
    public var firstLostSendTimes: [Double] = []
    public var chatDuplicated = 0
    public var chatOutOfOrder = 0
    public var chatterDrops = 0
    public var chatDropReasons: [String: Int] = [:]
    /// The longest time between a chatter's send and its echo, and when (seconds from the start of chatting)
    /// that message was sent.
    public var longestEchoMilliseconds = 0.0
    public var longestEchoSentAt = 0.0
    /// Longest echo among messages sent before the upgrade started (the load's own latency).
    public var longestEchoBeforeUpgradeMilliseconds = 0.0
    /// Seconds from the start of chatting at which `ringgate upgrade` was run and returned.
    public var upgradeStartedAt = 0.0
    public var upgradeEndedAt = 0.0
    public init() {}

    /// Clients of any kind the gateway closed (goal 0).
    public var clientsDropped: Int { idleClosed + chatterDrops }
}

/// Counts a GatewayClient reads from every shard: the state the takeover must carry over.
public struct TakeoverClusterState: Codable, Sendable, Equatable {
    public var clientIDs = -1
    public var uids = -1
    public var groups = -1
    /// Clients in the groups, summed (batchGetClientIdCountByGroup over getAllGroupIdList).
    public var groupMembers = -1
    public init() {}
}

/// What `ringgate upgrade` prints:
/// ```
/// shard 0: 16667 clients handed over, paused 212 ms
/// done: 100000 clients in 1.93 s, longest pause 412 ms; pid 4242 serves now, this process exits
/// ```
/// (other lines, timestamps or log prefixes before them are ignored).
public struct UpgradeReport: Codable, Sendable, Equatable {
    public struct Shard: Codable, Sendable, Equatable {
        public var index: Int
        public var clients: Int
        public var pauseMilliseconds: Int
    }

    public var shards: [Shard] = []
    public var clients = 0
    public var seconds = 0.0
    public var longestPauseMilliseconds = 0
    public var newPID: Int32 = 0

    public init() {}

    /// Nil unless the text has a `done:` line.
    public init?(parsing text: String) {
        var done = false
        for line in text.split(separator: "\n") {
            if let range = line.range(of: "done: ") {
                let words = line[range.upperBound...].split(separator: " ")
                // N clients in S s, longest pause P ms; pid X serves now, …
                guard words.count >= 11, let clients = Int(words[0]), words[1] == "clients",
                    let seconds = Double(words[3]), let pause = Int(words[7]),
                    words[8].hasPrefix("ms"), words[9] == "pid", let pid = Int32(words[10])
                else { return nil }
                self.clients = clients
                self.seconds = seconds
                longestPauseMilliseconds = pause
                newPID = pid
                done = true
            } else if let range = line.range(of: "shard ") {
                // i: n clients handed over, paused p ms
                let words = line[range.upperBound...].split(separator: " ")
                guard words.count >= 8, words[0].hasSuffix(":"), let index = Int(words[0].dropLast()),
                    let clients = Int(words[1]), words[3] == "handed", let pause = Int(words[6]), words[7] == "ms"
                else { continue }
                shards.append(Shard(index: index, clients: clients, pauseMilliseconds: pause))
            }
        }
        guard done else { return nil }
    }
}
