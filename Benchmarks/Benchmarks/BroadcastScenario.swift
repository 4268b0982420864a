import BenchmarkReport
import Foundation
import Glibc
import LoadGenerator
import RingGateWorkerKit

/// `broadcast`: N connected clients; a GatewayClient on the gateway's inner ports (what a worker uses)
/// sends S-byte messages with sendToAll, then sendToGroup (K members) and sendToUid, one round at a time;
/// each round is timed from the send to the last client's receipt (CLOCK_MONOTONIC in every process).
struct BroadcastScenario {
    var clients: Int
    var clientSteps: [Int] { [1_000, 10_000, clients].filter { $0 <= clients }.uniqued() }
    var messageSize = 64
    /// Measured rounds per kind, at least: small points get more (`rounds(for:)`).
    var rounds = 10
    /// Deliveries a point measures at least: 10 rounds to 1,000 clients are 40 ms of gateway CPU, short
    /// enough for a timer tick or a neighbour's burst to move the figure by a third between runs.
    var minimumDeliveries = 200_000
    /// The most rounds any kind runs (sendToUid reaches one client a round).
    var maximumRounds = 200
    /// Rounds sent before the measured ones (each client's quick-ack phase; see `measureRounds`).
    var warmupRounds = 20
    var groupSize = 1_000
    /// How long the generators let deliveries gather before waking (0: each delivery wakes its generator).
    /// On loopback a client sleeping for one completion is woken by the server's send, on the server's CPU
    /// (`try_to_wake_up` was 1.3–2.2 µs of 8–10 µs per delivery at 100k); a client on another host costs the
    /// server nothing to wake. Batched waits move the wake-up to the generator's own timer, for every server.
    var batchWaitMicroseconds = 100
    /// The NIO baseline holds ordinary descriptors: one process stays under RLIMIT_NOFILE.
    var nioLimit = 18_000
    /// Passes over RingGate, NIO and the C reference at each client count; the report pairs RingGate and
    /// the reference pass by pass and gives the median ratio.
    var repeats = 3
    /// The pass being measured, from 0, recorded in its results; nil when there is one pass and for the
    /// servers measured once after the passes (PHP, an external gateway).
    var repetition: Int?

    func run(settings: RunSettings) throws {
        let reference = ReferencePrograms.prepare(settings: settings)
        // Passes pair RingGate with the reference; without the reference one pass tells as much.
        let passes = reference == nil ? 1 : max(1, repeats)
        for count in clientSteps {
            for repetition in 0..<passes {
                var pass = self
                pass.repetition = passes > 1 ? repetition : nil
                try pass.measurePoint(clients: count, reference: reference, settings: settings)
            }
        }
        if let php = try ServerUnderTest.php(settings: settings) {
            defer { php.stop() }
            let count = min(clients, php.connectionLimit ?? clients)
            let fleet = try connectFleet(server: php, clients: count, settings: settings)
            defer { fleet.stop() }
            let client = try GatewayClient(
                configuration: .init(registerAddresses: [], gatewayAddresses: php.innerAddresses))
            defer { try? waitFor { await client.shutdown() } }
            try measureGatewayClient(
                server: php, fleet: fleet, client: client, clients: count, detailed: false, settings: settings)
        }
        if let external = try ServerUnderTest.external(settings: settings) {
            let count = min(clients, 900)
            let fleet = try connectFleet(server: external, clients: count, settings: settings)
            defer { fleet.stop() }
            let client = try GatewayClient(
                configuration: .init(registerAddresses: [], gatewayAddresses: external.innerAddresses))
            defer { try? waitFor { await client.shutdown() } }
            try measureGatewayClient(
                server: external, fleet: fleet, client: client, clients: count, detailed: false, settings: settings)
        }
    }

    /// One pass over the controlled servers at `count` clients. Odd passes run them in reverse order: a
    /// server always measured right after another's 100,000 sockets were torn down would meet the kernel's
    /// caches in another state than one measured first.
    private func measurePoint(clients count: Int, reference: ReferencePrograms?, settings: RunSettings) throws {
        var servers: [() throws -> Void] = [
            {
                try runRingGate(
                    clients: count, detailed: count == clients && (repetition ?? 0) == 0, settings: settings)
            }
        ]
        if count <= nioLimit {
            servers.append {
                guard let nio = try ServerUnderTest.nio(settings: settings, framing: .websocket) else { return }
                defer { nio.stop() }
                try measureControlled(server: nio, clients: count, settings: settings)
            }
        }
        if let reference {
            servers.append {
                let rings = ServerUnderTest.shards(for: count, gatewayCPUs: settings.gatewayCPUs.count)
                let server = try ServerUnderTest.referenceFanout(reference, settings: settings, rings: rings)
                defer { server.stop() }
                try measureControlled(server: server, clients: count, settings: settings)
            }
        }
        if (repetition ?? 0) % 2 == 1 { servers.reverse() }
        for measure in servers { try measure() }
    }

    private func runRingGate(clients: Int, detailed: Bool, settings: RunSettings) throws {
        let shards = ServerUnderTest.shards(for: clients, gatewayCPUs: settings.gatewayCPUs.count)
        // A worker must be connected: like PHP's Gateway, RingGate closes clients that no worker can be told about.
        let server = try ServerUnderTest.ringgateGateway(settings: settings, shards: shards, echoWorker: true)
        defer { server.stop() }
        let fleet = try connectFleet(server: server, clients: clients, settings: settings)
        defer { fleet.stop() }
        let client = try GatewayClient(
            configuration: .init(registerAddresses: [], gatewayAddresses: server.innerAddresses))
        defer { try? waitFor { await client.shutdown() } }
        try measureGatewayClient(
            server: server, fleet: fleet, client: client, clients: clients, detailed: detailed, settings: settings)
    }

    private func connectFleet(server: ServerUnderTest, clients: Int, settings: RunSettings) throws -> GeneratorFleet {
        let fleet = try GeneratorFleet(
            target: .init(host: server.host, port: server.ports[.websocket]!, framing: .websocket),
            connections: clients,
            settings: settings, verifyOnEstablish: false, progress: settings.progress)
        let start = Date()
        fleet.broadcast("connect")
        let connected = try fleet.awaitReplies("connected", timeout: 600) { latest in
            let established = latest.compactMap { $0?["established"] }.reduce(0, +)
            settings.progress.update(
                String(
                    format: "broadcast %@: %d of %d clients connected (%.0f s)", server.name, established, clients,
                    Date().timeIntervalSince(start)))
        }
        settings.progress.clear()
        let established = connected.map { $0["established"] }.reduce(0, +)
        guard established == clients else {
            fleet.stop()
            throw BenchmarkFailure("broadcast \(server.name): \(established) of \(clients) clients connected")
        }
        if batchWaitMicroseconds > 0 {
            let replies = try fleet.ask("batch-wait \(batchWaitMicroseconds)", expecting: "ok", timeout: 10)
            if replies.contains(where: { $0["supported"] == 0 }) {
                settings.results.notes.append(
                    "broadcast: this kernel has no io_uring minimum wait (Linux 6.12+); generators wake on each delivery"
                )
            }
        }
        return fleet
    }

    private func measureGatewayClient(
        server: ServerUnderTest, fleet: GeneratorFleet, client: GatewayClient, clients: Int, detailed: Bool,
        settings: RunSettings
    ) throws {
        let gateway = client.gateway
        // The gateway must know every client before the first round (and the inner links must be up).
        let deadline = Date().addingTimeInterval(30)
        while try waitFor({ try await gateway.getAllClientIdCount() }) < clients {
            guard Date() < deadline else { throw BenchmarkFailure("broadcast: the gateway never saw all clients") }
            usleep(100_000)
        }
        var round = 0
        try measureRounds(
            kind: "sendToAll", server: server, fleet: fleet, clients: clients, recipients: clients,
            firstRound: &round, settings: settings
        ) { payload in gateway.sendToAll(payload) }
        guard detailed else { return }
        let ids = try waitFor { try await gateway.getAllClientIdList() }
        let members = Array(ids.prefix(groupSize))
        for id in members { gateway.joinGroup(id, "bench") }
        if let first = ids.first { gateway.bindUid(first, "bench-uid") }
        try waitFor { try await gateway.flush() }
        try measureRounds(
            kind: "sendToGroup", server: server, fleet: fleet, clients: clients,
            recipients: members.count, firstRound: &round, settings: settings
        ) { payload in
            gateway.sendToGroup("bench", payload)
        }
        try measureRounds(
            kind: "sendToUid", server: server, fleet: fleet, clients: clients, recipients: 1,
            firstRound: &round, settings: settings
        ) { payload in gateway.sendToUid("bench-uid", payload) }
    }

    /// A server that broadcasts on a control-port command (the NIO baseline, the C fan-out reference): it sends
    /// its own payload, so rounds are counted in arrival order.
    private func measureControlled(server: ServerUnderTest, clients: Int, settings: RunSettings) throws {
        let fleet = try connectFleet(server: server, clients: clients, settings: settings)
        defer { fleet.stop() }
        guard let controlPort = server.controlPort else { return }
        let control = try ControlConnection(port: controlPort)
        let deadline = Date().addingTimeInterval(30)
        while (try control.request("count").split(separator: " ").last.flatMap { Int($0) } ?? 0) < clients {
            guard Date() < deadline else {
                throw BenchmarkFailure("broadcast: \(server.name) never counted all clients")
            }
            usleep(100_000)
        }
        var round = 0
        try measureRounds(
            kind: "sendToAll", server: server, fleet: fleet, clients: clients, recipients: clients,
            firstRound: &round, settings: settings
        ) { _ in _ = try? control.request("broadcast \(messageSize)") }
    }

    /// Rounds measured for `recipients`: enough for `minimumDeliveries`, within `rounds...maximumRounds`.
    func rounds(for recipients: Int) -> Int {
        let needed = (minimumDeliveries + max(1, recipients) - 1) / max(1, recipients)
        return max(rounds, min(maximumRounds, needed))
    }

    /// Sends `rounds(for:)` messages one after the other, each after the previous one reached every recipient.
    private func measureRounds(
        kind: String, server: ServerUnderTest, fleet: GeneratorFleet, clients: Int, recipients: Int,
        firstRound: inout Int, settings: RunSettings, send: (String) -> Void
    ) throws {
        _ = try fleet.ask("reset", expecting: "ok", timeout: 10)
        let rounds = rounds(for: recipients)
        var result = BroadcastResult()
        result.server = server.name
        result.kind = kind
        result.clients = clients
        result.recipients = recipients
        result.messageSize = messageSize
        result.rounds = rounds
        result.generatorBatchWaitMicroseconds = batchWaitMicroseconds > 0 ? batchWaitMicroseconds : nil
        result.repetition = repetition.map { $0 + 1 }
        var completions: [Double] = []
        var segments: SegmentWindow?
        var cpuStart = 0.0
        // The first `warmupRounds` are not counted. A new connection acknowledges its first 16 or so segments
        // at once (TCP quick-ack mode), and on loopback that ACK is built and taken in by the sender's CPU,
        // inside the gateway's send: sendToAll to 1,000 new clients cost 6–7 µs a delivery, and 3.6–3.8 µs
        // once every client had had 20 messages (sendToGroup after it, and sendToAll again). Every server gets
        // the same warm-up, so the rounds measure each one's steady state.
        let warmupRounds = recipients > 1 ? self.warmupRounds : 0
        for index in 1 - warmupRounds...rounds {
            if index == 1 {
                segments = SegmentWindow(localPorts: [server.ports[.websocket]!])
                cpuStart = server.cpuSeconds
            }
            // NIO sends its own payload: its rounds are counted in arrival order from 1 after a reset.
            let round = server.controlPort == nil ? firstRound + index + warmupRounds : index + warmupRounds
            let payload = String(format: "%08d", round) + String(repeating: "x", count: max(0, messageSize - 8))
            let sent = monotonicNanoseconds()
            send(payload)
            let deadline = Date().addingTimeInterval(15)
            var delivered = 0
            var last: UInt64 = 0
            while true {
                let replies = try fleet.ask("rounds \(round)", expecting: "rounds", timeout: 10)
                delivered = replies.map { $0["r\(round)"] }.reduce(0, +)
                last = UInt64(replies.map { $0["t\(round)"] }.max() ?? 0)
                if delivered >= recipients || Date() > deadline { break }
                usleep(recipients > 1000 ? 2_000 : 500)
            }
            settings.progress.update("broadcast \(server.name) \(kind) N=\(clients): round \(index) of \(rounds)")
            guard index > 0 else { continue }
            result.deliveries += delivered
            result.missing += max(0, recipients - delivered)
            if last > sent { completions.append(Double(last - sent) / 1e6) }
        }
        firstRound += rounds + warmupRounds
        result.gatewayCPUSeconds = server.cpuSeconds - cpuStart
        result.clientDataSegments = segments?.sent()
        completions.sort()
        result.deliverySeconds = completions.reduce(0, +) / 1000
        if !completions.isEmpty {
            result.completionMilliseconds = Percentiles(
                p50: completions[completions.count / 2],
                p99: completions[min(completions.count - 1, completions.count * 99 / 100)],
                p999: completions.last!, max: completions.last!)
        }
        settings.progress.clear()
        settings.results.broadcast.append(result)
        settings.progress.note(
            String(
                format: "broadcast %@ %@ N=%d → %d recipients × %d rounds: send→last receipt p50 %.1f ms max %.1f ms, "
                    + "%.0f deliveries/s, %.2f µs gateway CPU per delivery, %@ data segments per delivery, %d missing",
                server.name, kind, clients, recipients, rounds, result.completionMilliseconds.p50,
                result.completionMilliseconds.max, result.deliveriesPerSecond, result.cpuMicrosecondsPerDelivery,
                result.segmentsPerDelivery.map { String(format: "%.2f", $0) } ?? "?", result.missing))
    }
}

/// A line-based TCP connection to the NIO baseline's control port.
final class ControlConnection {
    private let fd: Int32

    init(port: UInt16) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard LoopbackPort.connect(fd, to: port) else {
            throw BenchmarkFailure("cannot connect to the control port \(port)")
        }
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `line` and returns the reply line.
    func request(_ line: String) throws -> String {
        let bytes = Array((line + "\n").utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw BenchmarkFailure("control port write failed")
        }
        var reply: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            if byte == 10 { return String(decoding: reply, as: UTF8.self) }
            reply.append(byte)
        }
        throw BenchmarkFailure("control port closed or timed out")
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
