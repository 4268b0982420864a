import Glibc
import RingGate
import RingGateCodecs
import RingGateRuntime
import TestSupport
import Testing

/// Several shards on one thread (`threadCount` < `shardCount`, `ShardLoop.run(group:)`): every shard serves its
/// clients and its workers, its timers fire, and stopping or draining ends every thread. The thread sleeps in
/// its first shard's ring; the others' rings, and their upstream rings behind them, wake it through polls.
@Suite(.serialized) struct SharedThreadShardTests {
    @Test func fiveEchoShardsOnTwoThreadsServeEveryConnection() throws {
        try withGateway(
            listeners: ["text://127.0.0.1:0"], shards: 5, configure: { $0.threadCount = 2 }
        ) { server in
            #expect(server.configuration.effectiveThreadCount == 2)
            var clients: [TestClient] = []
            for index in 0..<60 {
                let client = try TestClient(port: server.port())
                try client.send("m\(index)\n")
                clients.append(client)
            }
            for (index, client) in clients.enumerated() {
                #expect(try client.receive(exactly: "m\(index)\n".utf8.count) == Array("m\(index)\n".utf8))
            }
            let reports = server.reports()
            #expect(reports.count == 5)
            // SO_REUSEPORT spread 60 connections over the five shards: each shard, whichever its thread and
            // its place in it, accepted and echoed.
            #expect(reports.allSatisfy { $0.counters.accepted > 0 })
            // One slab per thread (3 shards on thread 0, 2 on thread 1), reported once each.
            let configuration = server.configuration
            let expected = [3, 2].map { shards in
                let bytes = configuration.slabBytes(shardsOnThread: shards)
                return (bytes + HugePageSlab.hugePageSize - 1) / HugePageSlab.hugePageSize * HugePageSlab.hugePageSize
            }
            #expect(reports.map(\.slabBytes).reduce(0, +) == expected.reduce(0, +))
            #expect(reports.filter { $0.slabBytes > 0 }.map(\.index).sorted() == [0, 1])
        }
    }

    @Test func workersReachShardsThatShareAThread() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 4, configure: { $0.threadCount = 1 }) {
            server in
            let before = server.totalUpstream().workerRegistrations
            let worker = try TestWorker(addresses: server.innerAddresses, workerKey: "Shared:0")
            try #require(server.waitForUpstream { $0.workerRegistrations >= before + 4 })
            var links: Set<Int> = []
            var attempts = 0
            while links.count < 4 {
                attempts += 1
                try #require(attempts < 128, "the kernel never spread connections over the four shards")
                let client = try TestClient(port: server.port())
                let connected = try worker.nextEvent(.onConnect)
                links.insert(connected.link)
                try client.send("ping\n")
                let message = try worker.nextEvent(.onMessage)
                #expect(message.link == connected.link && message.packet.body == Array("ping".utf8))
                try worker.send(
                    GatewayPacket(
                        command: .sendToOne, connectionID: connected.connectionID, flags: .bodyIsScalar,
                        body: Array("pong".utf8)), link: connected.link)
                #expect(try client.receive(exactly: 5) == Array("pong\n".utf8))
            }
        }
    }

    @Test func timersFireOnEveryShardOfAThread() throws {
        // The heartbeat runs on each shard's own tick: a silent client on any shard is closed on time.
        try withWorkerGateway(
            listeners: ["text://127.0.0.1:0"], shards: 3,
            configure: {
                $0.threadCount = 1
                $0.upstream?.pingIntervalNanoseconds = 200_000_000
                $0.upstream?.pingNotResponseLimit = 1
            }
        ) { server in
            let worker = try TestWorker(addresses: server.innerAddresses, workerKey: "Shared:1")
            try #require(server.waitForUpstream { $0.workersRegistered == 3 })
            var clients: [TestClient] = []
            var links: Set<Int> = []
            while links.count < 3 {
                try #require(clients.count < 96, "the kernel never spread connections over the three shards")
                clients.append(try TestClient(port: server.port()))
                links.insert(try worker.nextEvent(.onConnect).link)
            }
            for client in clients { #expect(client.waitForClose()) }
        }
    }

    @Test func drainingEndsEveryThreadAndShard() throws {
        var configuration = try testConfiguration(listeners: ["text://127.0.0.1:0"], shards: 6)
        configuration.threadCount = 2
        let server = try GatewayServer(configuration: configuration, logger: testLogger) { _ in EchoApplication() }
        let clients = try (0..<12).map { _ in try TestClient(port: server.port()) }
        let started = monotonicSeconds()
        server.drainAndStop(drainSeconds: 1)
        #expect(monotonicSeconds() - started < 10)
        for client in clients { #expect(client.waitForClose()) }
    }
}
