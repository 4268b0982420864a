import Glibc
import RingGateRuntime
import TestSupport
import Testing

@testable import RingGate

/// Hostile peers against the Register on loopback (issue 11): they may waste their own connection,
/// never lock gateways and workers out or drop worker links.
@Suite(.timeLimit(.minutes(2))) struct RegisterHardeningTests {
    typealias Lines = RegisterTestLines
    typealias Server = RegisterServerTests

    /// Only a correctly keyed registration cancels the auth deadline: a ping does not.
    @Test func pingDoesNotCancelTheAuthDeadline() throws {
        try Server.withRegister(secret: "sek", authTimeout: .milliseconds(200)) { server, port in
            let pinging = try TestClient(port: port)
            try pinging.send(Lines.ping)
            #expect(try pinging.receiveUntilClosed() == [])
            // A wrong-key line or a keep-pinging peer is closed just the same.
            let keeping = try TestClient(port: port)
            for _ in 0..<3 {
                try keeping.send(Lines.ping)
                usleep(100_000)
            }
            #expect(try keeping.receiveUntilClosed() == [])
            #expect(Server.waitFor(server) { $0.registry.authTimeouts == 2 && $0.connections == 0 })
            // A worker that authenticates in time stays past the deadline.
            let worker = try TestClient(port: port)
            try worker.send(Lines.ping + Lines.phpWorkerConnect(secret: "sek"))
            #expect(try worker.receive(exactly: Lines.broadcast([]).count) == Lines.broadcast([]))
            usleep(400_000)
            #expect(server.snapshot.workersConnected == 1)
        }
    }

    /// 2,000 idle sockets against a table of 64: the oldest unauthenticated ones make room, so a gateway
    /// and a worker still register, and 1,000 later idle sockets never push them out.
    @Test func idleSocketsDoNotLockOutGatewaysAndWorkers() throws {
        var configuration = Server.configuration()
        configuration.maxConnections = 64
        try Server.withRegister(configuration) { server, port in
            var idle: [TestClient] = []
            for _ in 0..<2_000 { idle.append(try TestClient(port: port)) }
            #expect(Server.waitFor(server, seconds: 20) { $0.connectionsAccepted + $0.connectionsRefused >= 2_000 })

            let gateway = try TestClient(port: port)
            try gateway.send(Lines.phpGatewayConnect("127.0.0.1:2900"))
            let worker = try TestClient(port: port)
            try worker.send(Lines.phpWorkerConnect())
            let one = Lines.broadcast(["127.0.0.1:2900"])
            #expect(Server.waitFor(server) { $0.gatewaysRegistered == 1 && $0.workersConnected == 1 })
            #expect(try worker.receive(exactly: one.count) == one)

            // Fewer the second time: the test process shares its descriptors with the other suites.
            idle.removeAll()
            for _ in 0..<1_000 { idle.append(try TestClient(port: port)) }
            #expect(Server.waitFor(server, seconds: 20) { $0.connectionsAccepted + $0.connectionsRefused >= 3_002 })
            let second = try TestClient(port: port)
            try second.send(Lines.phpGatewayConnect("127.0.0.2:2900"))
            let two = Lines.broadcast(["127.0.0.1:2900", "127.0.0.2:2900"])
            let got = try worker.receive(exactly: two.count)
            #expect(got == two, "\(String(decoding: got, as: UTF8.self)) \(server.snapshot)")
            #expect(server.snapshot.connections <= 64)
            withExtendedLifetime((idle, gateway)) {}
        }
    }

    /// 100,000 `gateway_connect` lines re-announcing one address: every worker link stays up and gets a
    /// bounded number of broadcasts, the last one the right list.
    @Test func reRegistrationSpamIsCoalesced() throws {
        try Self.spam(lines: 100_000) { _ in
            Lines.phpGatewayConnect("10.0.0.9:2900")
        } check: { server, spammer in
            #expect(Server.waitFor(server, seconds: 60) { $0.registry.gatewayRegistrations == 100_001 })
            #expect(server.snapshot.gatewaysRegistered == 2)
            withExtendedLifetime(spammer) {}
            return ["127.0.0.1:2900", "10.0.0.9:2900"]
        }
    }

    /// 100,000 `gateway_connect` lines alternating two addresses: the connection is closed after a few
    /// changes, every worker link stays up, the final list is the honest gateway's.
    @Test func addressFlappingIsBoundedAndClosed() throws {
        try Self.spam(lines: 100_000) { index in
            Lines.phpGatewayConnect(index % 2 == 0 ? "10.0.0.9:2900" : "10.0.0.8:2900")
        } check: { server, spammer in
            #expect(spammer.waitForClose())
            #expect(Server.waitFor(server) { $0.gatewaysRegistered == 1 })
            return ["127.0.0.1:2900"]
        }
    }

    /// One `gateway_connect` with a 60 KiB address must not become a 60 KiB line to every worker.
    @Test func hugeAddressIsRefused() throws {
        try Server.withRegister { server, port in
            let worker = try TestClient(port: port, timeoutSeconds: 1)
            try worker.send(Lines.phpWorkerConnect())
            #expect(try worker.receive(exactly: Lines.broadcast([]).count) == Lines.broadcast([]))
            let gateway = try TestClient(port: port)
            try gateway.send(Lines.phpGatewayConnect(String(repeating: "9", count: 60 << 10)))
            #expect(try gateway.receiveUntilClosed() == [])
            #expect(server.snapshot.gatewaysRegistered == 0)
            #expect(!worker.waitForClose())  // quiet, still open
            #expect(worker.received.isEmpty)
        }
    }

    /// An unauthenticated socket cannot park a 64 KiB partial line: past 8 KiB it is closed at once.
    @Test func unauthenticatedPartialLineIsCapped() throws {
        try Server.withRegister { server, port in
            let client = try TestClient(port: port)
            try client.send([UInt8](repeating: UInt8(ascii: " "), count: 9_000))
            #expect(try client.receiveUntilClosed() == [])
            #expect(Server.waitFor(server) { $0.registry.oversizedLines == 1 && $0.connections == 0 })
        }
    }

    // MARK: Helpers

    /// Three workers and one honest gateway; a second authenticated gateway connection sends `lines`
    /// lines from `line` as fast as the Register takes them while the workers do not read. Then each
    /// worker must still be connected, have received at most a handful of broadcasts, the last being
    /// the list `check` returns.
    static func spam(
        lines count: Int, _ line: (Int) -> String,
        check: (RegisterServer, TestClient) throws -> [String]
    ) throws {
        try Server.withRegister { server, port in
            let workers = try (0..<3).map { _ in try TestClient(port: port, timeoutSeconds: 1) }
            for worker in workers {
                try worker.send(Lines.phpWorkerConnect())
                #expect(try worker.receive(exactly: Lines.broadcast([]).count) == Lines.broadcast([]))
            }
            let honest = try TestClient(port: port)
            try honest.send(Lines.phpGatewayConnect("127.0.0.1:2900"))
            #expect(Server.waitFor(server) { $0.gatewaysRegistered == 1 })

            let spammer = try TestClient(port: port, timeoutSeconds: 10)
            var batch: [UInt8] = []
            for index in 0..<count {
                batch += Array(line(index).utf8)
                if batch.count >= 64 << 10 || index == count - 1 {
                    guard (try? spammer.send(batch)) != nil else { break }  // closed by the Register
                    batch.removeAll(keepingCapacity: true)
                }
            }
            let final = try check(server, spammer)
            let expected = Lines.broadcast(final)
            for worker in workers {
                #expect(!worker.waitForClose(), "worker link dropped")  // reads until 1 s of quiet
                let received = worker.received
                let broadcasts = received.split(separator: UInt8(ascii: "\n")).count
                #expect(broadcasts >= 1 && broadcasts <= 40, "\(broadcasts) broadcasts")
                #expect(received.suffix(expected.count) == expected[...])
            }
            #expect(server.snapshot.workersConnected == 3)
            #expect(server.snapshot.outputOverflows == 0)
            withExtendedLifetime(honest) {}
        }
    }
}
