import Glibc
import RingGateRuntime
import TestSupport
import Testing

@testable import RingGate

/// The heap refusing memory for what a peer sent must close that peer, never trap the process.
/// (malloc cannot be made to fail on demand; the shard's chunk pool is told to refuse heap blocks.)
@Suite(.serialized, .timeLimit(.minutes(1)))
struct OutOfMemoryTests {
    @Test func aMessageTheHeapCannotHoldClosesItsClientWith1013() throws {
        try withGateway(listeners: ["websocket://127.0.0.1:0"], shards: 1) { server in
            let client = try WebSocketTestClient(port: server.port())
            server.onShard(0) { $0.io.chunks.refusesHeapForTesting = true }
            // 300 KiB message, 200 KiB of it sent: its assembly outgrows the largest slab class (128 KiB).
            let frame = WebSocketTestClient.frame(opcode: 2, payload: [UInt8](repeating: 7, count: 300 << 10))
            try? client.connection.send(Array(frame[..<(200 << 10)]))
            let reply = try client.receiveFrame()
            #expect(reply.opcode == 8)
            #expect(reply.payload.prefix(2) == [0x03, 0xF5])  // 1013 try again later
            #expect(server.waitFor { $0.closes[.outOfMemory, default: 0] == 1 })
            #expect(server.reports().reduce(0) { $0 + $1.counters.memoryRefusals } == 1)
            // The gateway goes on: a new client still gets its echo.
            server.onShard(0) { $0.io.chunks.refusesHeapForTesting = false }
            let next = try WebSocketTestClient(port: server.port())
            try next.send(text: "still here")
            #expect(try next.receiveFrame().payload == Array("still here".utf8))
        }
    }
}
