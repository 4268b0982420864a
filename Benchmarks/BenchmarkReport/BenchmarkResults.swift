/// Everything one `Benchmarks` run measured, written as results.json and rendered as report.md.
public struct BenchmarkResults: Codable, Sendable {
    public var commit = ""
    public var date = ""
    public var machine = MachineInfo()
    /// The options the run was started with, by name.
    public var configuration: [String: String] = [:]
    public var idle: [IdleResult] = []
    public var echo: [EchoResult] = []
    public var broadcast: [BroadcastResult] = []
    public var churn: [ChurnResult] = []
    public var soak: SoakResult?
    public var takeover: TakeoverResult?
    /// Things the reader must know: skipped baselines, unsaturated servers, limits met.
    public var notes: [String] = []

    public init() {}
}

public struct MachineInfo: Codable, Sendable {
    public var cpus = 0
    public var kernel = ""
    public var memoryKB = 0
    public var cpuModel = ""
    public init() {}
}

/// `idle`: N connections established, verified by echo, held; memory per connection.
public struct IdleResult: Codable, Sendable {
    public var server = ""
    public var requested = 0
    public var established = 0
    public var connectFailures = 0
    public var handshakeFailures = 0
    public var verifiedAtEstablish = 0
    public var verifiedAtEnd = 0
    /// Connections still connecting or handshaking when the connect phase's deadline (120 s) passed; they are
    /// closed, not left to join later. Optional so that results written before it existed still decode.
    public var timedOut: Int?
    /// Connections the generators held open when the end-of-hold verification ran (`verifiedAtEnd` of them
    /// answered).
    public var openAtEnd: Int?
    public var establishSeconds = 0.0
    public var holdSeconds = 0.0
    public var memoryBefore = ProcessMemory()
    public var memoryAfter = ProcessMemory()
    public var kernelBefore = KernelMemory()
    public var kernelAfter = KernelMemory()
    /// CPU-seconds the gateway and the generators used during the connect phase: TCP and WebSocket
    /// handshakes, plus the first echo of every connection when it ran while connecting (`startCheckSeconds`
    /// nil). Optional so that results written before they existed still decode.
    public var connectGatewayCPUSeconds: Double?
    public var connectGeneratorCPUSeconds: Double?
    /// The first echo check's own pass, once every connection was established: its wall time. Nil when the
    /// check ran inside the connect phase (`--verify-while-connecting`, and every result before 2026-12-04).
    public var startCheckSeconds: Double?
    public init() {}

    /// Gateway CPU per established connection in the connect phase, in microseconds.
    public var gatewayMicrosecondsPerConnection: Double? {
        guard let seconds = connectGatewayCPUSeconds, established > 0 else { return nil }
        return seconds * 1e6 / Double(established)
    }
    public var generatorMicrosecondsPerConnection: Double? {
        guard let seconds = connectGeneratorCPUSeconds, established > 0 else { return nil }
        return seconds * 1e6 / Double(established)
    }
    /// All the user memory the process holds at the end (RssAnon plus huge pages, slabs and tables
    /// included) divided by the connections: what one process costs per connection it holds.
    public var allInBytesPerConnection: Double {
        guard established > 0 else { return 0 }
        return Double(memoryAfter.rssAnonKB + memoryAfter.hugetlbKB) * 1024 / Double(established)
    }

    public var connectsPerSecond: Double { establishSeconds > 0 ? Double(established) / establishSeconds : 0 }
    /// User-space growth per connection: RssAnon after minus before (huge pages are counted apart).
    public var bytesPerConnection: Double {
        established > 0 ? Double(memoryAfter.rssAnonKB - memoryBefore.rssAnonKB) * 1024 / Double(established) : 0
    }
    public var rssBytesPerConnection: Double {
        established > 0 ? Double(memoryAfter.rssKB - memoryBefore.rssKB) * 1024 / Double(established) : 0
    }
    /// Kernel memory per connection on both ends of loopback (client and server sockets): Slab growth
    /// plus TCP buffer pages, divided by the connections.
    public var kernelBytesPerConnection: Double {
        guard established > 0 else { return 0 }
        let slab = Double(kernelAfter.slabKB - kernelBefore.slabKB) * 1024
        let buffers = Double(kernelAfter.tcpMemoryPages - kernelBefore.tcpMemoryPages) * 4096
        return (slab + buffers) / Double(established)
    }
}

/// `echo`: round trips with a fixed number in flight per connection.
public struct EchoResult: Codable, Sendable {
    public var server = ""
    /// raw-tcp, raw-websocket, relayed-websocket
    public var mode = ""
    public var connections = 0
    public var inFlight = 1
    /// Which pass over the servers this is, from 1, when the point was measured more than once.
    public var repetition: Int?
    public var messageSize = 64
    public var messages = 0
    public var seconds = 0.0
    public var gatewayCPUSeconds = 0.0
    public var generatorCPUSeconds = 0.0
    /// CPU-seconds of the Swift echo worker (relayed echo only; absent in older results).
    public var workerCPUSeconds: Double?
    /// Cores the gateway may use (shards or threads): 100% saturation is this many CPU-seconds per second.
    public var gatewayCores = 1
    public var latencyMicroseconds = Percentiles()
    /// TCP data segments the server sent to the clients, and to the workers (relayed echo), over the window
    /// (`tcpi_data_segs_out` of its sockets; nil where `ss` was missing and in older results).
    public var clientDataSegments: Int?
    public var workerDataSegments: Int?
    public init() {}

    /// Data segments to clients per echoed message: 1.0 is a send per message, below 1 is coalescing.
    public var clientSegmentsPerMessage: Double? {
        clientDataSegments.flatMap { messages > 0 ? Double($0) / Double(messages) : nil }
    }
    public var workerSegmentsPerMessage: Double? {
        workerDataSegments.flatMap { messages > 0 ? Double($0) / Double(messages) : nil }
    }

    public var messagesPerSecond: Double { seconds > 0 ? Double(messages) / seconds : 0 }
    public var messagesPerCPUSecond: Double { gatewayCPUSeconds > 0 ? Double(messages) / gatewayCPUSeconds : 0 }
    public var gatewayCPUPercent: Double { seconds > 0 ? gatewayCPUSeconds / seconds * 100 : 0 }
    public var cpuNanosecondsPerMessage: Double { messages > 0 ? gatewayCPUSeconds * 1e9 / Double(messages) : 0 }
    /// Whether the gateway's cores were busy (≥ 90%); if not, the client was measured.
    public var saturated: Bool { gatewayCPUPercent >= 90 * Double(gatewayCores) }
}

public struct Percentiles: Codable, Sendable {
    public var p50 = 0.0
    public var p99 = 0.0
    public var p999 = 0.0
    public var max = 0.0
    public init() {}
    public init(p50: Double, p99: Double, p999: Double, max: Double) {
        self.p50 = p50
        self.p99 = p99
        self.p999 = p999
        self.max = max
    }
}

/// `broadcast`: one message to many clients, timed from the send to the last client's receipt.
public struct BroadcastResult: Codable, Sendable {
    public var server = ""
    /// sendToAll, sendToGroup, sendToUid
    public var kind = ""
    public var clients = 0
    public var recipients = 0
    public var messageSize = 0
    public var rounds = 0
    public var deliveries = 0
    public var missing = 0
    public var gatewayCPUSeconds = 0.0
    /// Send to last receipt, per round, in milliseconds.
    public var completionMilliseconds = Percentiles()
    /// Sum of the rounds' send-to-last-receipt times.
    public var deliverySeconds = 0.0
    /// TCP data segments the server sent to the clients over the rounds (nil where `ss` was missing and in
    /// older results).
    public var clientDataSegments: Int?
    /// How long the generators let completions gather before waking (nil: they woke on each one, as in
    /// results before 2026-12-04).
    public var generatorBatchWaitMicroseconds: Int?
    /// Which pass over the servers this is, from 1, when the point was measured more than once.
    public var repetition: Int?
    public init() {}

    /// Data segments per delivery: 1.0 is one send per recipient per message.
    public var segmentsPerDelivery: Double? {
        clientDataSegments.flatMap { deliveries > 0 ? Double($0) / Double(deliveries) : nil }
    }

    public var deliveriesPerSecond: Double { deliverySeconds > 0 ? Double(deliveries) / deliverySeconds : 0 }
    public var cpuMicrosecondsPerDelivery: Double {
        deliveries > 0 ? gatewayCPUSeconds * 1e6 / Double(deliveries) : 0
    }
}

/// `churn`: connections opened, handshaked and closed per second, and memory back at idle.
public struct ChurnResult: Codable, Sendable {
    public var server = ""
    public var concurrency = 0
    public var seconds = 0.0
    public var completed = 0
    public var failed = 0
    public var gatewayCPUSeconds = 0.0
    public var memoryBefore = ProcessMemory()
    public var memoryAfter = ProcessMemory()
    public init() {}

    public var perSecond: Double { seconds > 0 ? Double(completed) / seconds : 0 }
    public var rssAnonGrowthKB: Int { memoryAfter.rssAnonKB - memoryBefore.rssAnonKB }
}
