import Glibc
import RingGate
import RingGateCodecs
import RingGateRuntime
import Synchronization
import TestSupport
import Testing

/// Records the ids the gateway hands the application, so tests can aim at stale ones.
final class ConnectionRecorder: Sendable {
    let connected = Mutex<[ClientID]>([])
    let closed = Mutex<[ClientID]>([])
}

final class RecordingApplication: ClientApplication {
    let recorder: ConnectionRecorder
    init(_ recorder: ConnectionRecorder) { self.recorder = recorder }
    func clientConnected(_ client: ClientID, on shard: ClientShard) {
        recorder.connected.withLock { $0.append(client) }
    }
    func messageReceived(_ message: Span<UInt8>, opcode: WebSocketOpcode?, from client: ClientID, on shard: ClientShard)
    {
        shard.send(message, to: client, opcode: opcode)
    }
    func clientClosed(_ client: ClientID, on shard: ClientShard) { recorder.closed.withLock { $0.append(client) } }
}

@Suite(.serialized, .timeLimit(.minutes(2)))
struct ConnectionIdentityAndBackpressureTests {
    /// A one-slot table forces the second connection into the first one's slot: an id kept from the
    /// first connection must not reach the second.
    @Test func staleIdNeverReachesTheConnectionThatReusedItsSlot() throws {
        let recorder = ConnectionRecorder()
        try withGateway(
            listeners: ["tcp://127.0.0.1:0"], shards: 1,
            configure: { $0.connectionsPerShard = 1 },
            application: { _ in RecordingApplication(recorder) }
        ) { server in
            let first = try TestClient(port: server.port())
            try first.send("1")
            _ = try first.receive(exactly: 1)
            first.reset()
            #expect(server.waitFor { $0.liveConnections == 0 })
            let second = try TestClient(port: server.port())
            try second.send("2")
            _ = try second.receive(exactly: 1)
            let ids = recorder.connected.withLock { $0 }
            #expect(ids.count == 2)
            guard ids.count == 2 else { return }
            #expect(ids[0].slot == ids[1].slot)
            #expect(ids[0].generation != ids[1].generation)
            #expect(recorder.closed.withLock { $0 } == [ids[0]])
            let results = Mutex<[Bool]>([])
            server.onShard(0) { shard in
                let stale = shard.send(Array("stale".utf8).span, to: ids[0])
                let current = shard.send(Array("fresh".utf8).span, to: ids[1])
                results.withLock { $0 = [stale, current] }
            }
            #expect(results.withLock { $0 } == [false, true])
            #expect(try second.receive(exactly: 5) == Array("fresh".utf8))
        }
    }

    /// A client that does not read: once its queue holds the limit, further messages are dropped whole
    /// and counted, and what does arrive is intact frames.
    @Test func sendQueueOverflowDropsWholeMessagesForThatClientOnly() throws {
        try withGateway(
            listeners: ["frame://127.0.0.1:0"], shards: 1,
            configure: { $0.listeners[0].sendQueueLimit = 64 * 1024 }
        ) { server in
            let stalled = try TestClient(port: server.port())
            var size: Int32 = 4096
            setsockopt(stalled.descriptor, SOL_SOCKET, SO_RCVBUF, &size, 4)
            let payload = [UInt8](repeating: 0x5A, count: 1020)
            let frame: [UInt8] = [0, 0, 4, 0] + payload  // 1024 bytes
            for _ in 0..<8 { try stalled.send((0..<1024).flatMap { _ in frame }) }  // 8 MiB
            #expect(server.waitFor { $0.sendQueueDrops > 0 })
            let healthy = try TestClient(port: server.port())
            try healthy.send(frame)
            #expect(try healthy.receive(exactly: frame.count) == frame)
            // Drain what the stalled client was sent: only whole frames.
            stalled.shutdownWrite()
            let received = try stalled.receiveUntilClosed()
            #expect(received.count % frame.count == 0)
            #expect(received.count < 8 * 1024 * frame.count)
            var intact = true
            for start in stride(from: 0, to: received.count, by: frame.count)
            where Array(received[start..<(start + frame.count)]) != frame {
                intact = false
            }
            #expect(intact)
        }
    }

    @Test func slowClientPolicyCloseDisconnectsInsteadOfDropping() throws {
        try withGateway(
            listeners: ["frame://127.0.0.1:0"], shards: 1,
            configure: {
                $0.listeners[0].sendQueueLimit = 16 * 1024
                $0.listeners[0].slowClientPolicy = .close
            }
        ) { server in
            let stalled = try TestClient(port: server.port())
            var size: Int32 = 4096
            setsockopt(stalled.descriptor, SOL_SOCKET, SO_RCVBUF, &size, 4)
            let frame: [UInt8] = [0, 0, 4, 0] + [UInt8](repeating: 1, count: 1020)
            for _ in 0..<8 { try? stalled.send((0..<1024).flatMap { _ in frame }) }
            #expect(server.waitFor { $0.closes[.slowClient] == 1 })
        }
    }
}

@Suite(.serialized, .timeLimit(.minutes(2)))
struct StalledPeerTests {
    /// A send blocked on a peer that never reads must not keep the connection (or shutdown) waiting.
    @Test func stopCompletesWithASendBlockedOnAStalledPeer() throws {
        var stopStarted: UInt64 = 0
        let stalled: TestClient = try withGateway(listeners: ["frame://127.0.0.1:0"], shards: 1) { server in
            let stalled = try TestClient(port: server.port())
            var size: Int32 = 4096
            setsockopt(stalled.descriptor, SOL_SOCKET, SO_RCVBUF, &size, 4)
            let frame: [UInt8] = [0, 0, 4, 0] + [UInt8](repeating: 3, count: 1020)
            for _ in 0..<4 { try stalled.send((0..<1024).flatMap { _ in frame }) }
            #expect(server.waitFor { $0.sendQueueDrops > 0 })
            stopStarted = ShardLoop.now()
            return stalled
        }  // withGateway stops the server here
        let stopSeconds = Double(ShardLoop.now() - stopStarted) / 1e9
        #expect(stopSeconds < 5, "stop took \(stopSeconds) s")
        #expect(stalled.waitForClose())
    }

    /// A graceful close (here: the WebSocket close handshake) whose reply the peer never takes is
    /// finished after the listener's drain timeout.
    @Test func gracefulCloseOfAStalledPeerEndsAfterTheDrainTimeout() throws {
        try withGateway(
            listeners: ["websocket://127.0.0.1:0"], shards: 1,
            configure: { $0.listeners[0].drainTimeoutNanoseconds = 300_000_000 }
        ) { server in
            let client = try WebSocketTestClient(port: server.port())
            var size: Int32 = 4096
            setsockopt(client.connection.descriptor, SOL_SOCKET, SO_RCVBUF, &size, 4)
            let big = WebSocketTestClient.frame(opcode: 2, payload: [UInt8](repeating: 9, count: 60_000))
            for _ in 0..<100 { try client.connection.send(big) }
            try client.connection.send(WebSocketTestClient.frame(opcode: 8, payload: [0x03, 0xE8]))
            #expect(server.waitFor { $0.closes[.webSocketClose] == 1 })
            #expect(server.waitFor { $0.liveConnections == 0 })
        }
    }
}
