import RingGate
import RingGateCodecs
import TestSupport
import Testing

/// Messages that queue up behind a send in flight leave together in one send (`coalesceQueuedMessages`):
/// in order, none lost, whatever the framing, and a broadcast frame shared by many queues is copied, never
/// changed.
@Suite(.serialized) struct SendCoalescingTests {
    private static func connect(_ server: GatewayServer, _ worker: TestWorker) throws -> (TestClient, TestWorker.Event)
    {
        let client = try TestClient(port: server.port())
        return (client, try worker.nextEvent(.onConnect))
    }

    @Test func aBurstForOneClientArrivesWholeAndInOrderInFewerSends() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let worker = try TestWorker(addresses: server.innerAddresses, workerKey: "Coalesce:0")
            try #require(server.waitForUpstream { $0.workersRegistered == 1 })
            let (client, connected) = try Self.connect(server, worker)
            // 200 packets in one write: the gateway reads them in one receive; the first message goes out at
            // once and the other 199 queue behind it until its completion, then leave together.
            let packets = (0..<200).map {
                GatewayPacket(
                    command: .sendToOne, connectionID: connected.connectionID, flags: .bodyIsScalar,
                    body: Array("message \($0)".utf8))
            }
            try worker.send(packets, link: connected.link)
            let expected = (0..<200).map { "message \($0)\n" }.joined()
            #expect(try client.receive(exactly: expected.utf8.count) == Array(expected.utf8))
            #expect(server.totalCounters().coalescedMessages >= 2)
            #expect(server.totalCounters().messagesOut == 200)
        }
    }

    @Test func aSharedBroadcastFrameIsCopiedIntoACoalescedSendNotChanged() throws {
        try withWorkerGateway(listeners: ["text://127.0.0.1:0"], shards: 1) { server in
            let worker = try TestWorker(addresses: server.innerAddresses, workerKey: "Coalesce:1")
            try #require(server.waitForUpstream { $0.workersRegistered == 1 })
            let (first, firstEvent) = try Self.connect(server, worker)
            let (second, _) = try Self.connect(server, worker)
            // A burst for the first client, then broadcasts that both queues share: the first client's copy
            // is coalesced with its burst, the second client's is sent as the shared frame.
            var packets = (0..<50).map {
                GatewayPacket(
                    command: .sendToOne, connectionID: firstEvent.connectionID, flags: .bodyIsScalar,
                    body: Array("own \($0)".utf8))
            }
            packets += (0..<20).map {
                GatewayPacket(command: .sendToAll, flags: .bodyIsScalar, body: Array("all \($0)".utf8))
            }
            try worker.send(packets, link: firstEvent.link)
            let broadcasts = (0..<20).map { "all \($0)\n" }.joined()
            let own = (0..<50).map { "own \($0)\n" }.joined()
            #expect(try first.receive(exactly: (own + broadcasts).utf8.count) == Array((own + broadcasts).utf8))
            #expect(try second.receive(exactly: broadcasts.utf8.count) == Array(broadcasts.utf8))
        }
    }
}
