import Glibc
import RingGate
import RingGateRuntime
import TestSupport
import Testing

/// Peers that each push a large message and stall must not make the gateway hold more than its memory
/// budget: the message that would cross it closes its connection (counted), and a partial message
/// never holds more than the listener's maximum message length.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct MemoryBudgetTests {
    /// Bytes of chunks (assemblies, send queues) every shard holds now.
    private func heldBytes(_ server: GatewayServer) -> Int {
        server.reports().reduce(0) { $0 + $1.slabBytesInUse + $1.heapBytesInUse }
    }

    private func budgetCloses(_ server: GatewayServer) -> UInt64 {
        server.reports().reduce(0) { $0 + $1.counters.memoryBudgetCloses }
    }

    private func refusedAccepts(_ server: GatewayServer) -> UInt64 {
        server.reports().reduce(0) { $0 + $1.counters.memoryRefusedAccepts }
    }

    private func bytesIn(_ server: GatewayServer) -> UInt64 {
        server.reports().reduce(0) { $0 + $1.counters.bytesIn }
    }

    /// Eight text clients each send 9 MiB without a newline and stall (72 MiB in all; 128 MiB held
    /// before the budget, each assembly doubling to 16 MiB): a 64 MiB budget keeps the shard under it.
    @Test func stalledLargeMessagesStayInsideTheBudget() throws {
        let budget = 64 << 20
        try withGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1, configure: { $0.memoryBudgetBytes = budget }
        ) { server in
            let payload = [UInt8](repeating: UInt8(ascii: "a"), count: 9 << 20)
            var clients: [TestClient] = []
            for _ in 0..<8 {
                let client = try TestClient(port: server.port())
                // A client the gateway closed mid-message sees EPIPE/ECONNRESET: expected here.
                try? client.send(payload)
                clients.append(client)
            }
            // Every client is either open holding its whole message, refused at accept, or closed for
            // the budget; 72 MiB cannot fit in 64, so at least one was turned away one way or the other.
            let settled = server.waitFor(seconds: 10) { counters in
                let turnedAway = refusedAccepts(server) + budgetCloses(server)
                return UInt64(counters.liveConnections) + turnedAway == 8
                    && bytesIn(server) >= UInt64(counters.liveConnections) * UInt64(payload.count)
            }
            #expect(settled)
            #expect(heldBytes(server) <= budget)
            #expect(refusedAccepts(server) + budgetCloses(server) >= 1)
            #expect(server.totalCounters().liveConnections >= 1)
        }
    }

    /// Clients admitted while the shard held nothing, then each pushing 9 MiB (36 MiB into a 32 MiB
    /// budget): the message that would cross the budget closes its connection.
    @Test func aMessageThatWouldCrossTheBudgetClosesItsConnection() throws {
        let budget = 32 << 20
        try withGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1, configure: { $0.memoryBudgetBytes = budget }
        ) { server in
            let payload = [UInt8](repeating: UInt8(ascii: "c"), count: 9 << 20)
            let clients = try (0..<4).map { _ in try TestClient(port: server.port()) }
            #expect(server.waitFor { $0.liveConnections == 4 })
            for client in clients { try? client.send(payload) }
            #expect(server.waitFor(seconds: 10) { _ in budgetCloses(server) >= 1 })
            #expect(server.totalCounters().closes[.memoryBudget, default: 0] >= 1)
            #expect(heldBytes(server) <= budget)
        }
    }

    /// A WebSocket client whose message would cross the budget gets close 1009 (message too big).
    @Test func aWebSocketMessageThatWouldCrossTheBudgetGets1009() throws {
        let budget = 16 << 20
        try withGateway(
            listeners: ["websocket://127.0.0.1:0"], shards: 1, configure: { $0.memoryBudgetBytes = budget }
        ) { server in
            let first = try WebSocketTestClient(port: server.port())
            let second = try WebSocketTestClient(port: server.port())
            let frame = WebSocketTestClient.frame(opcode: 2, payload: [UInt8](repeating: 1, count: 10 << 20))
            let part = Array(frame[..<(9 << 20)])
            try first.connection.send(part)
            #expect(server.waitFor { _ in bytesIn(server) >= UInt64(part.count) })
            try? second.connection.send(part)
            let reply = try second.receiveFrame()
            #expect(reply.opcode == 8)
            #expect(reply.payload.prefix(2) == [0x03, 0xF1])  // 1009 message too big
            #expect(server.waitFor { $0.closes[.memoryBudget, default: 0] == 1 })
            #expect(heldBytes(server) <= budget)
        }
    }

    /// A partial message grows by need up to the maximum message length, not by doubling past it.
    @Test func aPartialMessageHoldsNoMoreThanTheMaximumLength() throws {
        let maximum = 5_000_000
        let sent = 4_900_000
        try withGateway(
            listeners: ["text://127.0.0.1:0"], shards: 1,
            configure: { configuration in
                configuration.memoryBudgetBytes = nil
                for index in configuration.listeners.indices {
                    configuration.listeners[index].maxPackageLength = maximum
                }
            }
        ) { server in
            let client = try TestClient(port: server.port())
            try client.send([UInt8](repeating: UInt8(ascii: "b"), count: sent))
            #expect(server.waitFor { _ in bytesIn(server) >= UInt64(sent) })
            let held = heldBytes(server)
            #expect(held >= sent)
            #expect(held <= maximum + 256 << 10)
        }
    }
}
