import Glibc
import RingGate
import RingGateCodecs
import RingGateDemo
import RingGateTLS
import RingGateWorkerKit
import TestSupport
import Testing

/// The demo chat as a newcomer meets it: the gateway serves the page on plain GET, and WebSocket
/// clients chat through a Swift BusinessWorker running `DemoChatHandler`.
@Suite(.serialized, .timeLimit(.minutes(1))) struct DemoChatTests {
    static let time = TimeOfDay(hour: 12, minute: 34, second: 56)

    /// A 2-shard gateway serving the demo page, with one demo chat worker connected to both shards.
    static func withDemoChat(
        listener: String = "websocket://127.0.0.1:0", tls: TLSConfiguration? = nil,
        _ body: (GatewayServer) async throws -> Void
    ) async throws {
        try await withWorkerGateway(
            listeners: [listener],
            configure: {
                $0.listeners[0].webSocket.httpPage = DemoChatPage.httpPage
                $0.listeners[0].tls = tls
            }
        ) { server in
            let worker = try BusinessWorker(
                configuration: .init(
                    name: DemoChat.workerName, gatewayAddresses: server.innerAddresses.map(\.description)),
                handler: DemoChatHandler(clock: { time }))
            try worker.start()
            #expect(server.waitForUpstream { $0.workersRegistered == 2 })
            do {
                try await body(server)
            } catch {
                await worker.shutdown()
                throw error
            }
            await worker.shutdown()
        }
    }

    /// The next text frame's JSON; waits (suspending, so the worker's query tasks keep running) until
    /// the client's socket is readable.
    static func nextEvent(_ client: WebSocketTestClient) async throws -> JSONValue {
        try await waitUntilReadable(client.connection)
        let frame = try client.receiveFrame()
        try #require(frame.opcode == 1, "expected a text frame, got \(frame)")
        return try #require(JSONParser.parse(frame.payload), "not JSON: \(frame.text)")
    }

    /// The next text frame, as text.
    static func nextText(_ client: WebSocketTestClient) async throws -> String {
        try await waitUntilReadable(client.connection)
        return try client.receiveFrame().text
    }

    static func waitUntilReadable(_ connection: TestClient, seconds: Double = 5) async throws {
        let deadline = monotonicSeconds() + seconds
        while connection.received.isEmpty {
            var entry = pollfd(fd: connection.descriptor, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, 0) > 0 { return }
            try #require(monotonicSeconds() < deadline, "nothing to read within \(seconds) s")
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func pageIsServedOnPlainGET() async throws {
        try await Self.withDemoChat { server in
            let client = try TestClient(port: server.port())
            try client.send("GET /?from=test HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n")
            let response = try client.receiveUntilClosed()
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                + "Content-Length: \(DemoChatPage.httpPage.body.count)\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
            #expect(response == Array(head.utf8) + DemoChatPage.httpPage.body)
            #expect(server.waitFor { $0.httpPagesServed == 1 && $0.closes[.httpAnswered] == 1 })
        }
    }

    @Test func twoClientsChat() async throws {
        try await Self.withDemoChat { server in
            let ada = try WebSocketTestClient(port: server.port(), path: "/?name=Ada")
            #expect(ada.response.hasPrefix("HTTP/1.1 101 "))
            let adaWelcome = try await Self.nextEvent(ada)
            let adaID = try #require(adaWelcome["client_id"]?.stringValue)
            #expect(
                adaWelcome == JSONParser.parse(#"{"type":"welcome","client_id":"\#(adaID)","name":"Ada","online":1}"#))
            #expect(
                try await Self.nextText(ada)
                    == #"{"type":"join","from":"\#(adaID)","name":"Ada","online":1,"time":"12:34:56"}"#)

            // A name that is not valid falls back to Guest-<connection id>.
            let bob = try WebSocketTestClient(port: server.port(), path: "/?name=%20%20")
            let bobWelcome = try await Self.nextEvent(bob)
            let bobID = try #require(bobWelcome["client_id"]?.stringValue)
            let bobName = "Guest-\(try #require(GatewayClientID(parsing: bobID)).connectionID)"
            #expect(
                bobWelcome
                    == JSONParser.parse(#"{"type":"welcome","client_id":"\#(bobID)","name":"\#(bobName)","online":2}"#))
            let bobJoin = #"{"type":"join","from":"\#(bobID)","name":"\#(bobName)","online":2,"time":"12:34:56"}"#
            #expect(try await Self.nextText(bob) == bobJoin)
            #expect(try await Self.nextText(ada) == bobJoin)

            // What Ada says reaches both, escaped.
            try ada.send(text: #"{"type":"say","text":"hi \"Bob\" </b>"}"#)
            let said = #"{"type":"say","from":"\#(adaID)","name":"Ada","text":"hi \"Bob\" <\/b>","time":"12:34:56"}"#
            #expect(try await Self.nextText(ada) == said)
            #expect(try await Self.nextText(bob) == said)

            // Bob names himself; his later messages carry the new name.
            try bob.send(text: #"{"type":"name","name":"Bob"}"#)
            let renamed = #"{"type":"name","from":"\#(bobID)","old_name":"\#(bobName)","name":"Bob","time":"12:34:56"}"#
            #expect(try await Self.nextText(bob) == renamed)
            #expect(try await Self.nextText(ada) == renamed)

            // Nonsense gets an error for its sender only: Ada's next message is Bob's next one.
            try bob.send(text: "hello?")
            #expect(
                try await Self.nextText(bob) == #"{"type":"error","error":"messages are JSON objects with a \"type\""}"#
            )
            try bob.send(text: #"{"type":"say","text":"bye"}"#)
            let bye = #"{"type":"say","from":"\#(bobID)","name":"Bob","text":"bye","time":"12:34:56"}"#
            #expect(try await Self.nextText(bob) == bye)
            #expect(try await Self.nextText(ada) == bye)

            // Bob leaves: Ada is told, with the new count.
            bob.connection.reset()
            #expect(
                try await Self.nextText(ada)
                    == #"{"type":"leave","from":"\#(bobID)","name":"Bob","online":1,"time":"12:34:56"}"#)
        }
    }

    /// Fetching the page is a connection the worker sees too, and browsers keep spare connections
    /// open: neither may show up in the chat or its online count.
    @Test func pageFetchesAndSpareConnectionsAreNotChatClients() async throws {
        try await Self.withDemoChat { server in
            let ada = try WebSocketTestClient(port: server.port(), path: "/?name=Ada")
            _ = try await Self.nextEvent(ada)  // welcome
            _ = try await Self.nextEvent(ada)  // her join
            let spare = try TestClient(port: server.port())
            for request in ["GET / HTTP/1.1\r\n\r\n", "GET /favicon.ico HTTP/1.1\r\n\r\n", "POST / HTTP/1.1\r\n\r\n"] {
                let page = try TestClient(port: server.port())
                try page.send(request)
                _ = try page.receiveUntilClosed()
            }
            #expect(server.waitFor { $0.httpPagesServed == 1 && $0.httpNotFound == 1 && $0.httpMethodNotAllowed == 1 })
            let bob = try WebSocketTestClient(port: server.port(), path: "/?name=Bob")
            #expect(try await Self.nextEvent(bob)["online"] == .number(JSONNumber(2)))
            // Ada's next message is Bob's join (no join or leave of the fetches), counting two.
            let join = try await Self.nextEvent(ada)
            #expect(join["type"]?.stringValue == "join" && join["name"]?.stringValue == "Bob")
            #expect(join["online"] == .number(JSONNumber(2)))
            #expect(server.waitFor { $0.liveConnections == 3 })  // Ada, Bob and the spare one
            withExtendedLifetime(spare) {}
        }
    }
}
