import RingGate
import RingGateCodecs
import TestSupport
import Testing

/// A WebSocket listener serving a page (`WebSocketListenerOptions.httpPage`) through real sockets:
/// the exact responses, the close after them, the counters, and upgrades still working beside it.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct HTTPPageTests {
    static let page = HTTPPage(html: "<!doctype html><title>t</title><p>page</p>")
    static let pageHead =
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 42\r\n"
        + "Cache-Control: no-store\r\nConnection: close\r\n\r\n"

    static func withPageGateway(_ body: (GatewayServer) throws -> Void) throws {
        try withGateway(
            listeners: ["websocket://127.0.0.1:0"], configure: { $0.listeners[0].webSocket.httpPage = page }, body)
    }

    /// Sends `request` (in one piece or byte by byte) and returns everything until the gateway closes.
    static func exchange(_ request: String, port: UInt16, slowly: Bool = false) throws -> String {
        let client = try TestClient(port: port)
        if slowly {
            try client.sendSlowly(Array(request.utf8))
        } else {
            try client.send(request)
        }
        return String(decoding: try client.receiveUntilClosed(), as: UTF8.self)
    }

    @Test func answersThenCloses() throws {
        try Self.withPageGateway { server throws in
            let port = server.port()
            let html = String(decoding: Self.page.body, as: UTF8.self)
            #expect(try Self.exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n", port: port) == Self.pageHead + html)
            #expect(try Self.exchange("GET /index.html?x=1 HTTP/1.0\r\n\r\n", port: port) == Self.pageHead + html)
            #expect(try Self.exchange("HEAD / HTTP/1.1\r\n\r\n", port: port) == Self.pageHead)
            #expect(
                try Self.exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n", port: port, slowly: true) == Self.pageHead + html
            )
            #expect(
                try Self.exchange("GET /nope HTTP/1.1\r\n\r\n", port: port)
                    == "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n"
                    + "Cache-Control: no-store\r\nConnection: close\r\n\r\nNot Found\n")
            // A body after the head is not read: the answer and the close come anyway.
            #expect(
                try Self.exchange("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", port: port)
                    == "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    + "Content-Length: 19\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nMethod Not Allowed\n")
            #expect(
                server.waitFor {
                    $0.httpPagesServed == 4 && $0.httpNotFound == 1 && $0.httpMethodNotAllowed == 1
                        && $0.closes[.httpAnswered] == 6 && $0.liveConnections == 0
                })
        }
    }

    @Test func upgradesStillWork() throws {
        try Self.withPageGateway { server throws in
            let client = try WebSocketTestClient(port: server.port())
            #expect(client.response.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
            try client.send(text: "still echo")
            #expect(try client.receiveFrame().text == "still echo")
            #expect(server.totalCounters().httpPagesServed == 0)
        }
    }

    /// What is neither a page request nor a valid upgrade gets the handshake's 400, and a peer that
    /// does not speak HTTP at all is refused at its first byte.
    @Test func badRequestsStillGet400() throws {
        try Self.withPageGateway { server throws in
            let badRequest =
                "HTTP/1.0 400 Bad Request\r\nServer: workerman\r\n\r\n"
                + "<div style=\"text-align:center\"><h1>400 Bad Request</h1><hr>workerman</div>"
            #expect(
                try Self.exchange("GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", port: server.port()) == badRequest)
            #expect(try Self.exchange("GET /\r\n\r\n", port: server.port()) == badRequest)
            #expect(try Self.exchange("\u{16}\u{03}\u{01}\u{02}\u{00}", port: server.port()) == badRequest)
            #expect(try Self.exchange("get / HTTP/1.1\r\n\r\n", port: server.port()) == badRequest)
            #expect(server.waitFor { $0.badInput[.badHandshake] == 4 && $0.httpPagesServed == 0 })
        }
    }

    /// Without a page nothing changes: plain GETs get workerman's 400, other methods fail at once.
    @Test func withoutAPagePlainRequestsGet400() throws {
        try withGateway(listeners: ["websocket://127.0.0.1:0"]) { server throws in
            let response = try Self.exchange("GET / HTTP/1.1\r\nHost: a\r\n\r\n", port: server.port())
            #expect(response.hasPrefix("HTTP/1.0 400 Bad Request\r\n"))
            #expect(try Self.exchange("HEAD / HTTP/1.1\r\n\r\n", port: server.port()).hasPrefix("HTTP/1.0 400 "))
            #expect(server.waitFor { $0.badInput[.badHandshake] == 2 && $0.closes[.httpAnswered] == nil })
        }
    }
}
