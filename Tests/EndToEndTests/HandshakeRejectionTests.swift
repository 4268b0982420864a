import RingGate
import RingGateCodecs
import TestSupport
import Testing

/// A worker that greets every client in ON_CONNECT (as the GatewayWorker examples do) and a client whose
/// upgrade then fails: the PHP Gateway discards the greeting and answers only the 400, so the status line
/// is the first byte the client sees.
@Suite(.serialized) struct HandshakeRejectionTests {
    static let badHeads: [(name: String, head: String)] = [
        ("no Sec-WebSocket-Key", "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
        ("a garbage line", "hello there\r\n\r\n"),
    ]

    @Test(arguments: badHeads.map(\.head))
    func aFailedHandshakeSendsOnlyTheStatusLineAndDiscardsTheGreeting(head: String) throws {
        try withWorkerGateway(listeners: ["ws://127.0.0.1:0"]) { server in
            let worker = try GatewayWorkerTests.worker(server)
            let client = try TestClient(port: server.port())
            let connect = try worker.nextEvent(.onConnect)
            let before = server.totalCounters().messagesOut
            try worker.send(
                GatewayPacket(
                    command: .sendToOne, connectionID: connect.connectionID, flags: .bodyIsScalar,
                    body: Array(#"{"type":"welcome"}"#.utf8)), link: connect.link)
            // The greeting is queued (held until the 101) before the client's request arrives.
            #expect(server.waitFor { $0.messagesOut > before })
            try client.send(head)
            let answer = try client.receiveUntilClosed()
            let text = String(decoding: answer, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 400") || text.hasPrefix("HTTP/1.0 400"), "got: \(text.prefix(80))")
            #expect(!text.contains("welcome"))
            #expect(server.waitFor { $0.heldMessagesDiscarded == 1 })
        }
    }
}
