import Foundation
import RingGate
import TestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct HandshakeBurstTests {
    /// A burst of newcomers whose upgrade requests are all waiting when the shard gets to them: their first
    /// receives are armed no faster than the ring has buffers for, so none fails with -ENOBUFS and goes to
    /// the back of the re-arm line (where, under a steady stream of connects, some used to wait past the
    /// handshake deadline), and every one is answered.
    @Test func firstReceivesOfABurstWaitForBuffersInsteadOfRunningDry() throws {
        try withGateway(
            listeners: ["websocket://127.0.0.1:0"], shards: 1,
            configure: { $0.receiveBufferCount = 4 }
        ) { server in
            // Hold the shard's thread while the burst arrives, so that it accepts them all in one turn.
            let holding = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            let released = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                server.onShard(0) { _ in
                    holding.signal()
                    _ = release.wait(timeout: .now() + 10)
                }
                released.signal()
            }
            defer {
                release.signal()
                _ = released.wait(timeout: .now() + 10)
            }
            #expect(holding.wait(timeout: .now() + 5) == .success)
            let port = server.port()
            let request =
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            let clients = try (0..<64).map { _ in try TestClient(port: port) }
            for client in clients { try client.send(request) }
            release.signal()
            for (index, client) in clients.enumerated() {
                var head: [UInt8] = []
                while !(head.count >= 4 && Array(head.suffix(4)) == [13, 10, 13, 10]) {
                    head += try client.receive(exactly: 1)
                }
                #expect(String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 101"), "client \(index)")
            }
            let counters = server.totalCounters()
            #expect(counters.accepted == 64)
            // Arming all 64 at once ran the 4 buffers dry for 60 of them; now only a race with data arriving
            // between the turn's last look at the ring and its end can.
            #expect(counters.receiveBufferExhaustions < 8, "\(counters.receiveBufferExhaustions) receives ran dry")
        }
    }
}
