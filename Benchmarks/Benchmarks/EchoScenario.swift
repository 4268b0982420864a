import BenchmarkReport
import Foundation
import Histogram
import LoadGenerator

/// `echo`: round trips over N connections with a fixed number in flight on each, raw in the gateway
/// (tcp:// and websocket:// listeners of `ringgate echo`) and relayed through the Swift echo worker, with
/// the same points against the NIO baseline, reference servers and an external gateway.
struct EchoScenario {
    enum Mode: String, CaseIterable {
        case rawTCP = "raw-tcp"
        case rawWebSocket = "raw-websocket"
        case relayedWebSocket = "relayed-websocket"

        var framing: StreamFraming { self == .rawTCP ? .tcp : .websocket }
    }

    var connectionCounts = [100, 1_000, 10_000]
    var inFlight = 1
    var modes = Mode.allCases
    var messageSize = 64
    /// The PHP comparison point for the relayed mode: 100 connections, 8 in flight each.
    var relayedExtraPoint: (connections: Int, inFlight: Int)? = (100, 8)
    /// Relayed mode: passes over RingGate and the C relay reference at each point, in alternating order,
    /// both servers up throughout; the report pairs them pass by pass and gives the median ratio.
    var repeats = 3

    static let standard = EchoScenario()

    func run(settings: RunSettings) throws {
        for mode in modes {
            try runMode(mode, settings: settings)
        }
    }

    private var points: [(connections: Int, inFlight: Int)] {
        connectionCounts.map { ($0, inFlight) }
    }

    private func runMode(_ mode: Mode, settings: RunSettings) throws {
        let shards = settings.gatewayCPUs.count
        let ringgate =
            mode == .relayedWebSocket
            ? try ServerUnderTest.ringgateGateway(settings: settings, shards: shards, echoWorker: true)
            : try ServerUnderTest.ringgateEcho(settings: settings, shards: shards)
        var ringgatePoints = points
        if mode == .relayedWebSocket, let extra = relayedExtraPoint {
            // Smallest first: PHP's gateway, just rid of 1,000 clients, established 12 of the next 100.
            ringgatePoints.append(extra)
            ringgatePoints.sort { $0.connections < $1.connections }
        }
        let programs = mode == .relayedWebSocket ? ReferencePrograms.prepare(settings: settings) : nil
        do {
            defer { ringgate.stop() }
            if let programs {
                let reference = try ServerUnderTest.referenceRelay(programs, settings: settings, rings: shards)
                defer { reference.stop() }
                try measureInPasses([ringgate, reference], mode: mode, points: ringgatePoints, settings: settings)
            } else {
                for point in ringgatePoints {
                    try measure(server: ringgate, mode: mode, point: point, settings: settings)
                }
            }
        }
        if mode != .relayedWebSocket {
            if let nio = try ServerUnderTest.nio(settings: settings, framing: mode.framing) {
                defer { nio.stop() }
                for point in points { try measure(server: nio, mode: mode, point: point, settings: settings) }
            }
        }
        if mode == .rawTCP {
            for specification in settings.options.reference {
                let server = try ServerUnderTest.reference(specification, settings: settings)
                defer { server.stop() }
                for point in points { try measure(server: server, mode: mode, point: point, settings: settings) }
            }
        }
        if mode == .relayedWebSocket, let php = try ServerUnderTest.php(settings: settings) {
            defer { php.stop() }
            for point in ringgatePoints where point.connections <= php.connectionLimit ?? .max {
                try measure(server: php, mode: mode, point: point, settings: settings)
            }
        }
        if mode == .relayedWebSocket, let external = try ServerUnderTest.external(settings: settings) {
            for point in points + (relayedExtraPoint.map { [$0] } ?? []) {
                try measure(server: external, mode: mode, point: point, settings: settings)
            }
        }
    }

    /// Measures every server at each point `repeats` times, reversing their order on odd passes: a server
    /// always measured right after the other would meet the machine in the state the other left it.
    private func measureInPasses(
        _ servers: [ServerUnderTest], mode: Mode, points: [(connections: Int, inFlight: Int)], settings: RunSettings
    ) throws {
        for point in points {
            for pass in 0..<max(1, repeats) {
                for server in pass % 2 == 1 ? servers.reversed() : servers {
                    try measure(
                        server: server, mode: mode, point: point, repetition: repeats > 1 ? pass + 1 : nil,
                        settings: settings)
                }
            }
        }
    }

    @discardableResult
    func measure(
        server: ServerUnderTest, mode: Mode, point: (connections: Int, inFlight: Int), repetition: Int? = nil,
        settings: RunSettings
    ) throws -> EchoResult {
        guard let port = server.ports[mode.framing] else { throw BenchmarkFailure("\(server.name) has no port") }
        let fleet = try GeneratorFleet(
            target: .init(host: server.host, port: port, framing: mode.framing), connections: point.connections,
            settings: settings, messageSize: messageSize, progress: settings.progress)
        defer { fleet.stop() }
        let connected = try fleet.ask("connect", expecting: "connected", timeout: 120)
        let established = connected.map { $0["established"] }.reduce(0, +)
        let verified = connected.map { $0["verified"] }.reduce(0, +)
        guard established == point.connections, verified == established else {
            throw BenchmarkFailure(
                "echo \(mode.rawValue) \(server.name): \(established) of \(point.connections) established, "
                    + "\(verified) answered the first echo (see the logs in \(settings.resultsFolder.path))")
        }
        _ = try fleet.ask("echo \(point.inFlight)", expecting: "ok", timeout: 10)
        sleepWithProgress(
            settings.options.warmup, label: "echo \(mode.rawValue) \(server.name) N=\(point.connections): warm-up",
            settings: settings)
        _ = try fleet.ask("reset", expecting: "ok", timeout: 10)
        let clientSegments = SegmentWindow(localPorts: [port])
        let workerSegments = mode == .relayedWebSocket ? SegmentWindow(localPorts: server.innerPorts) : nil
        let cpuStart = server.cpuSeconds
        let generatorStart = ProcessCPU.seconds(pids: fleet.pids)
        let workerStart = ProcessCPU.seconds(pids: server.workerPIDs)
        let start = Date()
        sleepWithProgress(
            settings.options.duration, label: "echo \(mode.rawValue) \(server.name) N=\(point.connections): measuring",
            settings: settings)
        fleet.broadcast("stats")
        let seconds = Date().timeIntervalSince(start)
        let cpu = server.cpuSeconds - cpuStart
        let generatorCPU = ProcessCPU.seconds(pids: fleet.pids) - generatorStart
        let workerCPU = ProcessCPU.seconds(pids: server.workerPIDs) - workerStart
        let clientSegmentsSent = clientSegments.sent()
        let workerSegmentsSent = workerSegments?.sent()
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1_000, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three
        )
        let stats = try withUnsafeMutablePointer(to: &histogram) { pointer in
            try fleet.awaitReplies("stats", timeout: 30, histogram: pointer)
        }
        _ = try fleet.ask("quiet", expecting: "ok", timeout: 10)
        var result = EchoResult()
        result.server = server.name
        result.mode = mode.rawValue
        result.connections = point.connections
        result.inFlight = point.inFlight
        result.repetition = repetition
        result.messageSize = messageSize
        result.messages = stats.map { $0["messages"] }.reduce(0, +)
        result.seconds = seconds
        result.gatewayCPUSeconds = cpu
        result.generatorCPUSeconds = generatorCPU
        if !server.workerPIDs.isEmpty { result.workerCPUSeconds = workerCPU }
        result.gatewayCores = server.cores
        result.clientDataSegments = clientSegmentsSent
        result.workerDataSegments = workerSegmentsSent
        result.latencyMicroseconds = Percentiles(
            p50: Double(histogram.valueAtPercentile(50)) / 1000, p99: Double(histogram.valueAtPercentile(99)) / 1000,
            p999: Double(histogram.valueAtPercentile(99.9)) / 1000, max: Double(histogram.max) / 1000)
        settings.results.echo.append(result)
        settings.progress.note(Self.summary(result))
        if !result.saturated {
            settings.results.notes.append(
                String(
                    format: "echo %@ %@ N=%d: gateway at %.0f%% CPU, not saturated — the client was measured too",
                    mode.rawValue, server.name, point.connections, result.gatewayCPUPercent))
        }
        return result
    }

    static func summary(_ result: EchoResult) -> String {
        let worker =
            result.workerCPUSeconds.map {
                String(format: ", %.0f round trips per worker CPU-s", Double(result.messages) / $0)
            }
            ?? ""
        let segments =
            result.clientSegmentsPerMessage.map { perMessage in
                String(format: ", %.2f data segments per message to clients", perMessage)
                    + (result.workerSegmentsPerMessage.map { String(format: " (%.2f to workers)", $0) } ?? "")
            } ?? ""
        return String(
            format:
                "echo %@ %@ N=%d×%d: %.0f msgs/s, %.0f msgs per gateway CPU-s (CPU %.0f%%%@), p50 %.0f µs p99 %.0f µs p999 %.0f µs",
            result.mode, result.server, result.connections, result.inFlight, result.messagesPerSecond,
            result.messagesPerCPUSecond, result.gatewayCPUPercent, result.saturated ? "" : ", not saturated",
            result.latencyMicroseconds.p50, result.latencyMicroseconds.p99, result.latencyMicroseconds.p999)
            + segments + worker
    }
}

/// Sleeps `seconds`, redrawing the live line every quarter second.
func sleepWithProgress(_ seconds: Double, label: String, settings: RunSettings) {
    let start = Date()
    while Date().timeIntervalSince(start) < seconds {
        settings.progress.update(String(format: "%@ (%.1f s left)", label, seconds - Date().timeIntervalSince(start)))
        usleep(UInt32(min(250_000, max(1_000, (seconds - Date().timeIntervalSince(start)) * 1e6))))
    }
    settings.progress.clear()
}
