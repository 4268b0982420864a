import Glibc
import Logging
import RingGateRuntime
import TestSupport
import Testing

@testable import RingGate

/// The Register service on real loopback sockets, spoken to with the exact lines PHP peers write.
@Suite(.timeLimit(.minutes(1))) struct RegisterServerTests {
    typealias Lines = RegisterTestLines

    @Test func startsOnPortZeroAndStops() throws {
        let server = RegisterServer(configuration: Self.configuration(), logger: Self.logger)
        let port = try server.start()
        #expect(port != 0)
        #expect(try server.start() == port)  // already running
        #expect(server.boundAddress?.port == port)
        let client = try TestClient(port: port)
        try client.send(Lines.ping)
        #expect(Self.waitFor(server) { $0.connections == 1 })
        server.stop()
        #expect(client.waitForClose())
        #expect(server.boundAddress == nil)
        server.stop()  // idempotent
        // A stopped server starts again (on a new free port, since 0 was configured).
        let again = try server.start()
        let client2 = try TestClient(port: again)
        try client2.send(Lines.phpWorkerConnect())
        #expect(try client2.receive(exactly: Lines.broadcast([]).count) == Lines.broadcast([]))
        server.stop()
    }

    /// A worker gets the list at once and again after each gateway change; PHP gateway lines (with the
    /// spaces after the commas) are accepted.
    @Test func workerFollowsGatewayChanges() throws {
        try Self.withRegister(secret: "sek") { server, port in
            let worker = try TestClient(port: port)
            try worker.send(Lines.phpWorkerConnect(secret: "sek"))
            #expect(try worker.receive(exactly: Lines.broadcast([]).count) == Lines.broadcast([]))

            let first = try TestClient(port: port)
            try first.send(Lines.phpGatewayConnect("127.0.0.1:2900", secret: "sek"))
            let one = Lines.broadcast(["127.0.0.1:2900"])
            #expect(try worker.receive(exactly: one.count) == one)

            let second = try TestClient(port: port)
            try second.send(Lines.phpGatewayConnect("10.0.0.1:2900", secret: "sek"))
            let two = Lines.broadcast(["127.0.0.1:2900", "10.0.0.1:2900"])
            #expect(try worker.receive(exactly: two.count) == two)

            // A third connection repeats the first address: the list's bytes do not change, so no
            // broadcast (PHP sends the same list again); §10.2's object form once a fourth registers.
            let third = try TestClient(port: port)
            try third.send(Lines.phpGatewayConnect("127.0.0.1:2900", secret: "sek"))
            #expect(Self.waitFor(server) { $0.gatewaysRegistered == 3 })
            let fourth = try TestClient(port: port)
            try fourth.send(Lines.phpGatewayConnect("10.0.0.2:2900", secret: "sek"))
            #expect(try worker.receive(exactly: Lines.objectFormBroadcast.count) == Lines.objectFormBroadcast)
            #expect(Self.waitFor(server) { $0.gatewaysRegistered == 4 && $0.workersConnected == 1 })

            // The first gateway goes away: its address stays (the third has it), now as a list.
            first.shutdownWrite()
            let after = Lines.broadcast(["10.0.0.1:2900", "127.0.0.1:2900", "10.0.0.2:2900"])
            #expect(try worker.receive(exactly: after.count) == after)
            #expect(Self.waitFor(server) { $0.gatewaysRegistered == 3 })
            #expect(server.snapshot.gatewayAddresses == ["10.0.0.1:2900", "127.0.0.1:2900", "10.0.0.2:2900"])
            // Gateways are never sent anything: all the second reads before its close is the EOF.
            second.shutdownWrite()
            #expect(try second.receiveUntilClosed() == [])
            withExtendedLifetime((third, fourth)) {}
        }
    }

    /// GatewayClient: connect, worker_connect, read the list, hang up; over and over.
    @Test func gatewayClientLookups() throws {
        try Self.withRegister { server, port in
            let gateway = try TestClient(port: port)
            try gateway.send(Lines.phpGatewayConnect("127.0.0.1:2900"))
            #expect(Self.waitFor(server) { $0.gatewaysRegistered == 1 })
            let list = Lines.broadcast(["127.0.0.1:2900"])
            for _ in 0..<5 {
                let lookup = try TestClient(port: port)
                try lookup.send(Lines.phpWorkerConnect())
                #expect(try lookup.receive(exactly: list.count) == list)
                lookup.shutdownWrite()
                #expect(lookup.waitForClose())
            }
            #expect(Self.waitFor(server) { $0.workersConnected == 0 && $0.registry.workerConnects == 5 })
            withExtendedLifetime(gateway) {}
        }
    }

    @Test func badRequestIsAnsweredThenClosed() throws {
        try Self.withRegister { server, port in
            let client = try TestClient(port: port)
            try client.send("not json\r\n")
            #expect(try client.receiveUntilClosed() == Lines.badRequest(ip: "127.0.0.1", buffer: "not json"))
            #expect(Self.waitFor(server) { $0.badRequests == 1 && $0.connections == 0 })

            // The PHP gateway line for a secret with a quote is invalid JSON: a bad request, as in PHP.
            let quoted = try TestClient(port: port)
            let line = Lines.phpGatewayConnect("127.0.0.1:2900", secret: #"k"e/y"#)
            try quoted.send(line + Lines.ping)
            #expect(try quoted.receiveUntilClosed() == Lines.badRequest(buffer: String(line.dropLast())))
        }
    }

    @Test func wrongSecretIsClosedWithoutReply() throws {
        try Self.withRegister(secret: "sek") { server, port in
            let gateway = try TestClient(port: port)
            try gateway.send(Lines.phpGatewayConnect("127.0.0.1:2900", secret: "nope"))
            #expect(try gateway.receiveUntilClosed() == [])
            let worker = try TestClient(port: port)
            try worker.send(Lines.phpWorkerConnect())
            #expect(try worker.receiveUntilClosed() == [])
            #expect(Self.waitFor(server) { $0.authFailures == 2 && $0.gatewaysRegistered == 0 && $0.connections == 0 })
        }
    }

    @Test func unknownEventAndMissingAddressAreClosedWithoutReply() throws {
        try Self.withRegister { server, port in
            for line in [#"{"event":"hello"}"#, #"{"event":"gateway_connect", "address":"", "secret_key":""}"#] {
                let client = try TestClient(port: port)
                try client.send(line + "\n")
                #expect(try client.receiveUntilClosed() == [], "\(line)")
            }
            #expect(Self.waitFor(server) { $0.registry.invalidMessages == 2 })
        }
    }

    /// A connection that does not authenticate is closed after the auth timeout; a worker stays.
    @Test func silentConnectionTimesOut() throws {
        try Self.withRegister(authTimeout: .milliseconds(200)) { server, port in
            let silent = try TestClient(port: port)
            let worker = try TestClient(port: port)
            try worker.send(Lines.ping + Lines.phpWorkerConnect())
            try silent.send(#"{"event":"pi"#)
            #expect(try silent.receiveUntilClosed() == [])
            #expect(Self.waitFor(server) { $0.registry.authTimeouts == 1 && $0.connections == 1 })
            usleep(300_000)
            #expect(server.snapshot.connections == 1)
            #expect(try worker.receive(exactly: Lines.broadcast([]).count) == Lines.broadcast([]))
        }
    }

    @Test func overlongLineIsClosed() throws {
        try Self.withRegister(maxLineLength: 64) { server, port in
            let client = try TestClient(port: port)
            try client.send([UInt8](repeating: UInt8(ascii: "x"), count: 100))
            #expect(try client.receiveUntilClosed() == [])
            #expect(Self.waitFor(server) { $0.registry.oversizedLines == 1 })
        }
    }

    /// Arbitrary bytes, many lines at once, resets mid-line: the service keeps serving everyone else.
    @Test func garbageNeverHurtsTheService() throws {
        try Self.withRegister { server, port in
            var generator = SystemRandomNumberGenerator()
            for round in 0..<20 {
                let client = try TestClient(port: port)
                var bytes = (0..<512).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if round % 2 == 0 { bytes.insert(contentsOf: Array(Lines.ping.utf8), at: 0) }
                try? client.send(bytes)
                if round % 3 == 0 { client.reset() }
            }
            let worker = try TestClient(port: port)
            try worker.send(Lines.phpWorkerConnect())
            #expect(try worker.receive(exactly: Lines.broadcast([]).count) == Lines.broadcast([]))
            #expect(Self.waitFor(server) { $0.connections == 1 && $0.workersConnected == 1 })
        }
    }

    /// At the limit a newcomer evicts the oldest unauthenticated connection; when every open one is
    /// authenticated, the newcomer is refused.
    @Test func connectionsBeyondTheLimitAreRefused() throws {
        var configuration = Self.configuration()
        configuration.maxConnections = 1
        try Self.withRegister(configuration) { server, port in
            let idle = try TestClient(port: port)
            try idle.send(Lines.ping)
            #expect(Self.waitFor(server) { $0.connections == 1 })
            let first = try TestClient(port: port)
            #expect(idle.waitForClose())
            #expect(Self.waitFor(server) { $0.connectionsEvicted == 1 && $0.connections == 1 })
            try first.send(Lines.phpWorkerConnect())
            #expect(try first.receive(exactly: Lines.broadcast([]).count) == Lines.broadcast([]))
            let second = try TestClient(port: port)
            #expect(second.waitForClose())
            #expect(Self.waitFor(server) { $0.connectionsRefused == 1 && $0.workersConnected == 1 })
        }
    }

    /// A worker that stops reading is closed once more than `maxPendingOutputByteCount` waits for it.
    @Test func stalledWorkerIsClosedWhenItsOutputOverflows() throws {
        var configuration = Self.bulkyBroadcasts()
        configuration.maxPendingOutputByteCount = 64 << 10
        try Self.withRegister(configuration) { server, port in
            let worker = try Self.stalledWorker(port: port)
            let gateway = try TestClient(port: port)
            try Self.pumpRegistrations(through: gateway, server: server) { $0.outputOverflows > 0 }
            #expect(Self.waitFor(server) { $0.outputOverflows == 1 && $0.workersConnected == 0 })
            #expect(Self.waitFor(server) { $0.pendingOutputBytes == 0 })
            withExtendedLifetime(worker) {}
        }
    }

    /// A close that cannot flush (the peer stopped reading) gives up after `closeFlushTimeout`.
    @Test func closeGivesUpFlushingAStalledPeer() throws {
        var configuration = Self.bulkyBroadcasts()
        configuration.maxPendingOutputByteCount = 256 << 20
        configuration.closeFlushTimeout = .milliseconds(300)
        try Self.withRegister(configuration) { server, port in
            let worker = try Self.stalledWorker(port: port)
            let gateway = try TestClient(port: port)
            try Self.pumpRegistrations(through: gateway, server: server) { $0.pendingOutputBytes > 0 }
            // Still read while output waits: an unknown event asks for a close, which cannot flush.
            try worker.send(#"{"event":"bye"}"# + "\n")
            #expect(Self.waitFor(server) { $0.registry.invalidMessages == 1 })
            #expect(server.snapshot.workersConnected == 1)
            #expect(Self.waitFor(server) { $0.closeFlushTimeouts == 1 && $0.workersConnected == 0 })
            #expect(server.snapshot.connections == 1)
            withExtendedLifetime(worker) {}
        }
    }

    // MARK: Helpers

    /// A worker that took its first list and then reads nothing, with a small receive buffer.
    static func stalledWorker(port: UInt16) throws -> TestClient {
        let worker = try TestClient(port: port)
        var size: Int32 = 4096
        setsockopt(worker.descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        try worker.send(Lines.phpWorkerConnect())
        #expect(try worker.receive(exactly: Lines.broadcast([]).count) == Lines.broadcast([]))
        return worker
    }

    /// A Register that lets one gateway connection change a 16 KiB address without limit and
    /// broadcasts every change, so that output can pile up for a worker.
    static func bulkyBroadcasts() -> RegisterServer.Configuration {
        var configuration = configuration()
        configuration.registry.maxAddressLength = 1 << 20
        configuration.registry.maxUnauthenticatedLineLength = 1 << 20
        configuration.registry.maxAddressChanges = .max
        configuration.broadcastInterval = .zero
        return configuration
    }

    /// Alternates a gateway's 16 KiB address over and over (each change a 16 KiB broadcast to every
    /// worker, with `bulkyBroadcasts()`) until `done` holds; at most 4 000 times, pacing itself on the
    /// Register.
    static func pumpRegistrations(
        through gateway: TestClient, server: RegisterServer, until done: (RegisterServer.Snapshot) -> Bool
    ) throws {
        let lines = ["a", "b"].map { Lines.phpGatewayConnect(String(repeating: $0, count: 16_384)) }
        var sent: UInt64 = 0
        while !done(server.snapshot) && sent < 4_000 {
            for index in 0..<8 { try gateway.send(lines[index % 2]) }
            sent += 8
            _ = waitFor(server, seconds: 1) { $0.registry.gatewayRegistrations == sent || done($0) }
        }
        #expect(done(server.snapshot), "after \(sent) registrations")
    }

    static let logger: Logger = {
        var logger = Logger(label: "ringgate-register-test")
        logger.logLevel = .critical
        return logger
    }()

    static func configuration(
        secret: String = "", authTimeout: Duration = .seconds(10), maxLineLength: Int = 65_536
    ) -> RegisterServer.Configuration {
        RegisterServer.Configuration(
            listenAddress: .ipv4(address: 0x7F00_0001, port: 0),
            registry: .init(secretKey: secret, authTimeout: authTimeout, maxLineLength: maxLineLength))
    }

    /// Runs `body` with a started Register on a free loopback port; always stops it.
    static func withRegister(
        secret: String = "", authTimeout: Duration = .seconds(10), maxLineLength: Int = 65_536,
        _ body: (RegisterServer, UInt16) throws -> Void
    ) throws {
        try withRegister(
            configuration(secret: secret, authTimeout: authTimeout, maxLineLength: maxLineLength), body)
    }

    static func withRegister(
        _ configuration: RegisterServer.Configuration, _ body: (RegisterServer, UInt16) throws -> Void
    ) throws {
        let server = RegisterServer(configuration: configuration, logger: logger)
        defer { server.stop() }
        try body(server, try server.start())
    }

    /// Polls the snapshot until `condition` holds (at most `seconds`).
    static func waitFor(
        _ server: RegisterServer, seconds: Int = 5, _ condition: (RegisterServer.Snapshot) -> Bool
    ) -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if condition(server.snapshot) { return true }
            usleep(5_000)
        }
        return condition(server.snapshot)
    }
}
