import ArgumentParser
import BenchmarkReport
import Foundation

struct EchoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo", abstract: "Round trips, raw in the gateway and relayed through a Swift worker.")
    @OptionGroup var options: RunOptions
    @Option(help: "Connection counts (comma list).") var connections = "100,1000,10000"
    @Option(help: "Messages in flight per connection.") var inFlight = 1
    @Option(help: "Payload bytes per message.") var messageSize = 64
    @Option(help: "Modes (comma list): raw-tcp, raw-websocket, relayed-websocket.")
    var modes = "raw-tcp,raw-websocket,relayed-websocket"
    @Option(
        name: .customLong("repeat"),
        help: "Relayed mode: passes over RingGate and the C relay at each point, alternating their order.")
    var repeats = 3

    func run() throws {
        var scenario = EchoScenario()
        scenario.repeats = max(1, repeats)
        scenario.connectionCounts = connections.split(separator: ",").compactMap { Int($0) }
        scenario.inFlight = inFlight
        scenario.messageSize = messageSize
        scenario.modes = try modes.split(separator: ",").map {
            guard let mode = EchoScenario.Mode(rawValue: String($0)) else {
                throw ValidationError("unknown mode \($0)")
            }
            return mode
        }
        try runScenarios(options: options) { settings in try scenario.run(settings: settings) }
    }
}

struct BroadcastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcast", abstract: "sendToAll / sendToGroup / sendToUid to N clients, send to last receipt.")
    @OptionGroup var options: RunOptions
    @Option(help: "Clients (the run also measures 1,000 and 10,000 below this).") var clients = 100_000
    @Option(help: "Message bytes.") var messageSize = 64
    @Option(help: "Rounds per kind, at least (points under 20,000 recipients get enough for 200,000 deliveries).")
    var rounds = 10
    @Option(help: "Rounds per kind sent before the measured ones (past each client's TCP quick-ack phase).")
    var warmupRounds = 20
    @Option(help: "sendToGroup group size.") var groupSize = 1_000
    @Option(
        help: ArgumentHelp(
            "Microseconds the generators let deliveries gather before waking (0: woken by each one).",
            discussion: "On loopback the server's send wakes a sleeping client, on the server's CPU."))
    var batchWait = 100
    @Option(
        name: .customLong("repeat"),
        help: "Passes over RingGate and the references at each client count, alternating their order.")
    var repeats = 3

    func run() throws {
        var scenario = BroadcastScenario(clients: clients)
        scenario.repeats = max(1, repeats)
        scenario.batchWaitMicroseconds = max(0, batchWait)
        scenario.messageSize = max(8, messageSize)
        scenario.rounds = rounds
        scenario.warmupRounds = max(0, warmupRounds)
        scenario.groupSize = groupSize
        try runScenarios(options: options) { settings in try scenario.run(settings: settings) }
    }
}

struct ChurnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn", abstract: "Connections opened, handshaked and closed per second; memory after.")
    @OptionGroup var options: RunOptions
    @Option(help: "Seconds of churn.") var seconds: Double = 10
    @Option(help: "Connections in progress at once.") var concurrency = 1_000

    func run() throws {
        let scenario = ChurnScenario(seconds: seconds, concurrency: concurrency)
        try runScenarios(options: options) { settings in try scenario.run(settings: settings) }
    }
}

struct SoakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Faults and churn for N minutes: memory, lost echoes, unintended drops, crashes, p99 per minute.")
    @OptionGroup var options: RunOptions
    @Option(help: "Minutes to run (the run stops by itself).") var minutes: Double = 30
    @Option(help: "Clients in all: idle, churned, chatting and never reading.") var clients = 100_000
    @Option(help: "Chatting clients (each sends a numbered message every --chat-interval s, expects its echo).")
    var chatters = 200
    @Option(help: "Seconds between one chatter's messages.") var chatInterval: Double = 3
    @Option(help: "Clients that never read (they send --non-reader-size bytes every second).") var nonReaders = 5
    @Option(help: "Bytes of each non-reader message.") var nonReaderSize = 256 * 1024
    @Option(help: "Share of the clients closed and reopened every --churn-interval s.") var churnShare: Double = 0.01
    @Option(help: "Seconds between churn cycles.") var churnInterval: Double = 10
    @Option(help: "Echo workers (≥ 2: one is always alive while another is killed).") var workers = 2
    @Option(help: "Seconds between worker kills (SIGKILL, restarted 1 s later).") var killEvery: Double = 60
    @Option(help: "Seconds between Register restarts.") var registerEvery: Double = 180
    @Option(help: "Seconds a worker is stopped (SIGSTOP … SIGCONT).") var stallSeconds: Double = 30
    @Option(help: "Seconds between stalls (the first at 40% of a shorter run).") var stallEvery: Double = 600
    @Option(help: "Seconds an echo may take before it counts as lost.") var echoTimeout: Double = 45

    func validate() throws {
        guard minutes > 0, minutes <= 24 * 60 else { throw ValidationError("--minutes must be in (0, 1440]") }
        guard workers >= 2 else { throw ValidationError("--workers must be at least 2") }
        guard echoTimeout > stallSeconds else { throw ValidationError("--echo-timeout must exceed --stall-seconds") }
        guard chatters + nonReaders < clients, (0..<0.5).contains(churnShare) else {
            throw ValidationError("--chatters + --non-readers must be below --clients; --churn-share in [0, 0.5)")
        }
    }

    func run() throws {
        var scenario = SoakScenario()
        scenario.minutes = minutes
        scenario.clients = clients
        scenario.chatters = chatters
        scenario.chatInterval = chatInterval
        scenario.nonReaders = nonReaders
        scenario.nonReaderMessageSize = nonReaderSize
        scenario.churnShare = churnShare
        scenario.churnInterval = churnInterval
        scenario.workers = workers
        scenario.killEvery = killEvery
        scenario.registerEvery = registerEvery
        scenario.stallSeconds = stallSeconds
        scenario.stallEvery = stallEvery
        scenario.echoTimeout = echoTimeout
        try runScenarios(options: options) { settings in try scenario.run(settings: settings) }
    }
}

struct TakeoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "takeover",
        abstract: "ringgate upgrade under load: clients dropped, messages lost, longest pause, memory before/after.")
    @OptionGroup var options: RunOptions
    @Option(help: "WebSocket clients in all (idle in the generators, plus the chatters).") var connections = 100_000
    @Option(help: "Chatting clients (each sends a numbered message every --chat-interval-ms, expects its echo).")
    var chatters = 1_000
    @Option(help: "Milliseconds between one chatter's messages.") var chatIntervalMs: Double = 50
    @Option(help: "Seconds of chat before the upgrade.") var warmup: Double = 10
    @Option(help: "Seconds of chat after the upgrade returned.") var after: Double = 10
    @Option(help: "Every n-th connect gets a session, a uid and a group from the worker.") var stateEvery = 10
    @Option(help: "The worker's reconnect delay in ms (GatewayWorker's: 1000).") var workerReconnectMs = 1_000

    func validate() throws {
        guard chatters >= 1, chatters < connections else { throw ValidationError("--chatters in [1, --connections)") }
        guard chatIntervalMs >= 1, warmup >= 1, after >= 1, stateEvery >= 1, workerReconnectMs >= 1 else {
            throw ValidationError("--chat-interval-ms, --warmup, --after, --state-every, --worker-reconnect-ms ≥ 1")
        }
    }

    func run() throws {
        var scenario = TakeoverScenario()
        scenario.clients = connections
        scenario.chatters = chatters
        scenario.chatInterval = chatIntervalMs / 1000
        scenario.warmupSeconds = warmup
        scenario.afterSeconds = after
        scenario.stateEvery = stateEvery
        scenario.workerReconnectMilliseconds = workerReconnectMs
        try runScenarios(options: options) { settings in try scenario.run(settings: settings) }
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Render report.md and the SVG charts again from a results.json.")
    @Argument(help: "A results folder (with results.json).") var folder: String

    func run() throws {
        let url = URL(fileURLWithPath: folder)
        let data = try Data(contentsOf: url.appendingPathComponent("results.json"))
        let results = try JSONDecoder().decode(BenchmarkResults.self, from: data)
        try ReportFiles(results: results).write(to: url)
        print(url.appendingPathComponent("report.md").path)
    }
}
