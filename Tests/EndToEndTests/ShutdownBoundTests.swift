import Glibc
import RingGate
import TestSupport
import Testing

/// The client side stops within drain_seconds plus a short grace whatever the clients do: a client
/// that never reads (a send stuck in the kernel, a full queue), one stuck mid-handshake, one idle.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ShutdownBoundTests {
    @Test func drainEndsWithinItsDeadlineWithClientsThatNeverRead() throws {
        var configuration = try testConfiguration(
            listeners: ["text://127.0.0.1:0", "websocket://127.0.0.1:0"], shards: 2)
        configuration.memoryBudgetBytes = nil
        let server = try GatewayServer(
            configuration: configuration, logger: testLogger, makeApplication: { _ in EchoApplication() })
        var stopped = false
        defer { if !stopped { server.stop() } }

        // Never reads: every line comes back, fills its receive buffer, then the gateway's send queue.
        let line = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10) + [10]
        var deaf: [TestClient] = []
        for _ in 0..<4 {
            let client = try TestClient(port: server.port(0))
            for _ in 0..<96 { try? client.send(line) }
            deaf.append(client)
        }
        // Mid-handshake: half an upgrade head, never finished.
        let halfway = try TestClient(port: server.port(1))
        try halfway.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
        let idle = try TestClient(port: server.port(0))
        #expect(server.waitFor { $0.liveConnections == 6 })
        #expect(server.waitFor { $0.messagesOut > 0 })
        // Output really is stuck: the deaf clients' queues hold echoes the kernel cannot take.
        let stuck = server.reports().reduce(0) { $0 + $1.queuedSendNodes }
        #expect(stuck > 0)

        let drainSeconds = 1.0
        let started = monotonicSeconds()
        server.drainAndStop(drainSeconds: drainSeconds)
        stopped = true
        let took = monotonicSeconds() - started
        #expect(took < drainSeconds + 3, "drain took \(took) s")
        _ = (deaf, halfway, idle)
    }
}
