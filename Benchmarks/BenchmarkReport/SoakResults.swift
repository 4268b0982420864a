/// `soak`: a long run with idle, chatting, churning and never-reading clients while workers are killed,
/// stalled and the Register restarted. What the lead reads: flat memory, no loss while a worker lived,
/// no unintended drops, no gateway crash, relay latency per minute.
public struct SoakResult: Codable, Sendable {
    public var minutes = 0.0
    public var clients = 0
    public var chatters = 0
    public var nonReaders = 0
    public var churnPerInterval = 0
    /// Seconds from the start at which growth is measured from (minute 5, or the warm-up end of short runs).
    public var warmupSeconds = 0.0
    public var samples: [SoakSample] = []
    public var minuteFigures: [SoakMinute] = []
    public var events: [SoakEvent] = []
    public var loss = SoakLoss()
    /// Idle, chatting and churn clients the gateway closed (none are closed on purpose by it).
    public var unintendedDrops = 0
    /// The same by kind of client: idle, churn, chat.
    public var dropsByKind: [String: Int] = [:]
    /// Why the chat clients were closed (end of stream, close frame, errno).
    public var chatDropReasons: [String: Int] = [:]
    /// Send times (s) of the first lost messages, to see when losses happened.
    public var firstLostSendTimes: [Double] = []
    /// Churn clients closed and reopened by the harness on purpose.
    public var intendedCloses = 0
    /// Churn clients that did not connect again within the interval.
    public var churnReconnectFailures = 0
    public var gatewayCrashes = 0
    public var nonReaderMessagesSent = 0
    public var nonReaderEchoesReceived = 0
    public var nonReadersClosedByGateway = 0
    public var queries = 0
    public var queryFailures = 0
    public var broadcasts = 0
    /// Established connections per shard inner port before the clients connect (workers only).
    public var innerLinksAtStart: [Int] = []
    /// Established connections per shard inner port just before each SIGKILL (workers linked to it).
    public var innerLinksBeforeKills: [[Int]] = []
    public var harnessDescriptorsStart = 0
    public var harnessDescriptorsEnd = 0
    public init() {}

    /// Gateway RSS growth from the warm-up end to the last sample, in %.
    public var rssGrowthPercent: Double? {
        SoakFigures.growthPercent(samples.map { ($0.seconds, Double($0.gatewayRSSKB)) }, from: warmupSeconds)
    }
    /// Client connections growth from the warm-up end to the last sample, in %.
    public var connectionGrowthPercent: Double? {
        SoakFigures.growthPercent(samples.map { ($0.seconds, Double($0.connections)) }, from: warmupSeconds)
    }
}

/// One sample every few seconds.
public struct SoakSample: Codable, Sendable, Equatable {
    public var seconds = 0.0
    public var gatewayRSSKB = 0
    /// Clients the gateway reports (getAllClientIdCount), -1 when the query failed.
    public var connections = 0
    public var chatSent = 0
    public var chatEchoed = 0
    public var workersAlive = 0
    public init() {}
    public init(seconds: Double, gatewayRSSKB: Int, connections: Int) {
        self.seconds = seconds
        self.gatewayRSSKB = gatewayRSSKB
        self.connections = connections
    }
}

/// Relayed chat figures of one minute (by send time).
public struct SoakMinute: Codable, Sendable, Equatable {
    public var minute = 0
    public var sent = 0
    public var echoed = 0
    public var p50Milliseconds = 0.0
    public var p99Milliseconds = 0.0
    public var maxMilliseconds = 0.0
    public init() {}
}

/// A fault the harness caused, with when it happened (seconds from the start).
public struct SoakEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case workerKilled, workerRestarted, workerStalled, workerResumed, registerRestarted, gatewayExited
    }
    public var seconds: Double
    public var kind: Kind
    public var detail = ""
    public init(seconds: Double, kind: Kind, detail: String = "") {
        self.seconds = seconds
        self.kind = kind
        self.detail = detail
    }
}

/// Chat messages without their echo, by cause, and ordering faults.
public struct SoakLoss: Codable, Sendable, Equatable {
    /// Sent from `killWindow` seconds before a worker was SIGKILLed until it was started again: the
    /// message may have been relayed to the worker that died with it.
    public var inKillWindow = 0
    /// Sent while a worker was stopped (SIGSTOP … SIGCONT) and not in a kill window: delayed, may be
    /// dropped by the gateway's worker send-queue limit.
    public var inStallWindow = 0
    /// Sent while every worker was alive and running: goal 0.
    public var whileWorkersAlive = 0
    public var duplicated = 0
    public var outOfOrder = 0
    public init() {}
    public var total: Int { inKillWindow + inStallWindow + whileWorkersAlive }
}

public enum SoakFigures {
    /// (last − value at `from`) / value at `from` × 100, the value at `from` being the first sample at or
    /// after it; nil without two samples past `from` or with a zero base.
    public static func growthPercent(_ points: [(Double, Double)], from: Double) -> Double? {
        let after = points.filter { $0.0 >= from }
        guard after.count >= 2, let base = after.first?.1, let last = after.last?.1, base > 0 else { return nil }
        return (last - base) / base * 100
    }

    /// Where growth is measured from: minute 5, or the end of the first third of a shorter run.
    public static func warmupEnd(runSeconds: Double) -> Double {
        runSeconds >= 600 ? 300 : runSeconds / 3
    }

    /// The cause of one lost message sent at `sent`, given the kill windows ([kill − lead, restart]) and
    /// the stall windows ([SIGSTOP, SIGCONT]).
    public static func classify(
        sent: Double, killWindows: [ClosedRange<Double>], stallWindows: [ClosedRange<Double>]
    ) -> LossCause {
        if killWindows.contains(where: { $0.contains(sent) }) { return .killWindow }
        if stallWindows.contains(where: { $0.contains(sent) }) { return .stallWindow }
        return .workersAlive
    }

    public enum LossCause: Equatable, Sendable { case killWindow, stallWindow, workersAlive }

    /// Kill windows from the events: from `lead` seconds before each kill to the matching restart (or
    /// `end` when none followed).
    public static func killWindows(_ events: [SoakEvent], lead: Double, end: Double) -> [ClosedRange<Double>] {
        windows(events, start: .workerKilled, stop: .workerRestarted, lead: lead, end: end)
    }

    public static func stallWindows(_ events: [SoakEvent], end: Double) -> [ClosedRange<Double>] {
        windows(events, start: .workerStalled, stop: .workerResumed, lead: 0, end: end)
    }

    private static func windows(
        _ events: [SoakEvent], start: SoakEvent.Kind, stop: SoakEvent.Kind, lead: Double, end: Double
    ) -> [ClosedRange<Double>] {
        var result: [ClosedRange<Double>] = []
        for (index, event) in events.enumerated() where event.kind == start {
            let closing = events[(index + 1)...].first { $0.kind == stop && $0.detail == event.detail }
            let upper = max(event.seconds, closing?.seconds ?? end)
            result.append(max(0, event.seconds - lead)...upper)
        }
        return result
    }
}

/// The sequence numbers one chatting client got back: in order, duplicated, out of order.
public struct ChatSequence: Sendable, Equatable {
    /// The highest sequence number received so far (0: none; numbering starts at 1).
    public private(set) var highest: UInt32 = 0
    public private(set) var duplicates = 0
    public private(set) var outOfOrder = 0
    /// Received numbers below `highest` that were skipped when `highest` moved past them, still
    /// expected (bounded: the oldest are forgotten past `limit`).
    private var gaps: [UInt32] = []
    private let limit = 64

    public init() {}

    public enum Arrival: Equatable, Sendable { case inOrder, late, duplicate }

    public mutating func receive(_ sequence: UInt32) -> Arrival {
        if sequence > highest {
            var skipped = highest + 1
            while skipped < sequence, gaps.count < limit {
                gaps.append(skipped)
                skipped += 1
            }
            highest = sequence
            return .inOrder
        }
        if let index = gaps.firstIndex(of: sequence) {
            gaps.remove(at: index)
            outOfOrder += 1
            return .late
        }
        duplicates += 1
        return .duplicate
    }
}
