import RingGate
import TestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct ReceiveBufferExhaustionTests {
    /// With only two receive buffers per shard, many clients sending at once run the buffer ring dry:
    /// the multishot receives end with -ENOBUFS and are re-armed once the turn returned its buffers,
    /// and every client still gets every echo.
    @Test func runningDryIsRecoveredWithoutLosingData() throws {
        try withGateway(
            listeners: ["frame://127.0.0.1:0"], shards: 1,
            configure: {
                $0.receiveBufferCount = 2
                $0.receiveBufferSize = 1024
            }
        ) { server in
            let clients = try (0..<40).map { _ in try TestClient(port: server.port()) }
            let payload = [UInt8](repeating: 0x42, count: 3000)
            let frame: [UInt8] = [0, 0, 0x0B, 0xBC] + payload  // 3004 bytes: spans three buffers
            for round in 0..<5 {
                for client in clients { try client.send(frame) }
                for (index, client) in clients.enumerated() {
                    let echoed = try client.receive(exactly: frame.count)
                    #expect(echoed == frame, "client \(index), round \(round)")
                }
            }
            let counters = server.totalCounters()
            #expect(counters.messagesIn == 200)
            #expect(counters.receiveBufferExhaustions > 0)  // the path under test was taken
            #expect(server.reports().allSatisfy { $0.receiveBuffersLent == 0 && $0.liveChunks == 0 })
        }
    }
}
