import Foundation
import Glibc
import RingGateRuntime
import TestSupport
import Testing

/// SIGINT/SIGTERM end `ringgate gateway` and `ringgate start` within the drain time plus the guard's
/// grace (3 s) with status 0, even when a shard can never finish (here wedged by the test hook
/// RINGGATE_TEST_WEDGE_SHARD, as a shard stuck behind a worker that never reads would be); a second
/// signal during the drain ends the process at once.
@Suite(.serialized, .timeLimit(.minutes(2))) struct ShutdownProcessTests {
    /// Generous next to the 3 s grace on a loaded 2-core machine, well below "never".
    static let slack = 7.0

    private func gatewayArguments() throws -> [String] {
        let ports = try freePorts(count: 2)
        let startPort = try freeConsecutivePorts(count: 2)
        return [
            "gateway", "--shards", "2", "--no-huge-pages", "--start-port", "\(startPort)",
            "--register-address", "127.0.0.1:\(ports[0])", "websocket://127.0.0.1:\(ports[1])",
        ]
    }

    private func startArguments(drainSeconds: Int) throws -> [String] {
        let ports = try freePorts(count: 3)
        let startPort = try freeConsecutivePorts(count: 2)
        return [
            "start", "--set", "register.listen=127.0.0.1:\(ports[0])",
            "--set", "gateway.register_address=127.0.0.1:\(ports[0])", "--set", "register.enabled=true",
            "--set", "worker_demo.enabled=false", "--set", "gateway.listen=websocket://127.0.0.1:\(ports[1])",
            "--set", "gateway.start_port=\(startPort)", "--set", "gateway.shards=2",
            "--set", "gateway.huge_pages=off",
            "--set", "admin.listen=127.0.0.1:\(ports[2])", "--set", "gateway.drain_seconds=\(drainSeconds)",
        ]
    }

    @Test func gatewayExitsZeroWithinTheGraceWhenAShardNeverStops() throws {
        let gateway = try RingGateProcess(try gatewayArguments(), environment: ["RINGGATE_TEST_WEDGE_SHARD": "0"])
        try #require(gateway.waitForOutput("shard 0 wedged", seconds: 30), "log:\n\(gateway.output)")
        gateway.signal(SIGINT)
        let status = gateway.exitStatus(within: 3 + Self.slack)
        #expect(status == 0, "log:\n\(gateway.output)")
        #expect(gateway.output.contains("shutdown did not finish within 3.0 s: exiting anyway"))
        #expect(gateway.output.contains(#"still_running=["shard 0 (ringgate-0)"]"#), "log:\n\(gateway.output)")
    }

    @Test func startExitsZeroAfterTheDrainPlusGraceWhenAShardNeverStops() throws {
        let service = try RingGateProcess(
            try startArguments(drainSeconds: 1), environment: ["RINGGATE_TEST_WEDGE_SHARD": "1"])
        try #require(service.waitForOutput("shard 1 wedged", seconds: 30), "log:\n\(service.output)")
        service.signal(SIGTERM)
        let status = service.exitStatus(within: 1 + 3 + Self.slack)
        #expect(status == 0, "log:\n\(service.output)")
        #expect(service.output.contains("shutdown did not finish within 4.0 s: exiting anyway"))
        #expect(service.output.contains("shard 1 (ringgate-1)"), "log:\n\(service.output)")
    }

    @Test func aSecondSignalEndsTheDrainAtOnce() throws {
        let service = try RingGateProcess(
            try startArguments(drainSeconds: 600), environment: ["RINGGATE_TEST_WEDGE_SHARD": "0"])
        try #require(service.waitForOutput("shard 0 wedged", seconds: 30), "log:\n\(service.output)")
        service.signal(SIGTERM)
        try #require(service.waitForOutput("draining clients", seconds: 10), "log:\n\(service.output)")
        service.signal(SIGINT)
        let status = service.exitStatus(within: Self.slack)
        #expect(status == 0, "log:\n\(service.output)")
        #expect(service.output.contains("second termination signal (2) during shutdown: exiting now"))
    }

    @Test func anUnwedgedGatewayStillStopsCleanly() throws {
        let gateway = try RingGateProcess(try gatewayArguments())
        try #require(gateway.waitForOutput("gateway running", seconds: 30), "log:\n\(gateway.output)")
        gateway.signal(SIGTERM)
        #expect(gateway.exitStatus(within: Self.slack) == 0, "log:\n\(gateway.output)")
        #expect(!gateway.output.contains("exiting anyway"))
    }

    /// The real case behind a shard that cannot stop: a worker that stopped reading while clients pushed
    /// MiBs at it (its graceful inner close never completes). Whether or not the shard itself learns to
    /// give up, the process ends within the grace.
    @Test func gatewayExitsZeroWhileAWorkerNeverReads() throws {
        let ports = try freePorts(count: 2)
        let startPort = try freeConsecutivePorts(count: 1)
        let gateway = try RingGateProcess([
            "gateway", "--shards", "1", "--no-huge-pages", "--start-port", "\(startPort)",
            "--register-address", "127.0.0.1:\(ports[0])", "text://127.0.0.1:\(ports[1])",
        ])
        try #require(gateway.waitForOutput("gateway running", seconds: 30), "log:\n\(gateway.output)")
        let worker = try TestWorker(addresses: [SocketAddress("127.0.0.1:\(startPort)")!])
        usleep(300_000)  // the worker's registration reaches the shard before the clients
        let line = Array(repeating: UInt8(ascii: "x"), count: 65_535) + [10]
        let clients = try (0..<4).map { _ in try TestClient(port: ports[1]) }
        for _ in 0..<64 {
            for client in clients { try? client.send(line) }  // 16 MiB in all; the worker reads none of it
        }
        gateway.signal(SIGINT)
        #expect(gateway.exitStatus(within: 3 + Self.slack) == 0, "log:\n\(gateway.output)")
        withExtendedLifetime((worker, clients)) {}
    }
}
