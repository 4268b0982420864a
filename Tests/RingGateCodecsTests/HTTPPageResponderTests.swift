import RingGateCodecs
import Testing

/// Plain HTTP requests on a listener that serves a page: which requests get which exact bytes.
@Suite struct HTTPPageResponderTests {
    static let page = HTTPPage(html: "<p>hi</p>")
    static let responder = HTTPPageResponder(page: page)

    static let okHead =
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 9\r\n"
        + "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
    static let notFoundHead =
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n"
        + "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
    static let methodNotAllowed =
        "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Type: text/plain; charset=utf-8\r\n"
        + "Content-Length: 19\r\nCache-Control: no-store\r\nConnection: close\r\n\r\nMethod Not Allowed\n"

    /// The responder's answer to a request head, as text (nil: left to the WebSocket handshake).
    static func answer(_ head: String) throws -> (HTTPPageResponse.Status, String)? {
        let bytes = Array(head.utf8)
        let request = try WebSocketUpgradeRequest.parse(head: bytes.span)
        return responder.response(to: request).map { ($0.status, String(decoding: $0.bytes, as: UTF8.self)) }
    }

    @Test(arguments: ["/", "/index.html", "/?name=x", "/index.html?a=1&b=2"])
    func pagePathsGetThePage(target: String) throws {
        let answer = try #require(try Self.answer("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1:8282\r\n\r\n"))
        #expect(answer.0 == .ok)
        #expect(answer.1 == Self.okHead + "<p>hi</p>")
    }

    @Test func headGetsTheHeadOnly() throws {
        let answer = try #require(try Self.answer("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(answer.0 == .ok && answer.1 == Self.okHead)
        let missing = try #require(try Self.answer("HEAD /x HTTP/1.1\r\n\r\n"))
        #expect(missing.0 == .notFound && missing.1 == Self.notFoundHead)
    }

    @Test(arguments: ["/favicon.ico", "/index.htm", "/chat", "//", "*", "http://127.0.0.1:8282/"])
    func otherPathsGet404(target: String) throws {
        let answer = try #require(try Self.answer("GET \(target) HTTP/1.0\r\n\r\n"))
        #expect(answer.0 == .notFound)
        #expect(answer.1 == Self.notFoundHead + "Not Found\n")
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "get"])
    func otherMethodsGet405(method: String) throws {
        let answer = try #require(try Self.answer("\(method) / HTTP/1.1\r\nContent-Length: 0\r\n\r\n"))
        #expect(answer.0 == .methodNotAllowed && answer.1 == Self.methodNotAllowed)
    }

    /// What the handshake must judge: upgrades (even incomplete ones), malformed heads, other protocols.
    @Test(arguments: [
        "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
        "GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n\r\n",
        "GET / HTTP/1.1\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        "GET /\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / FTP/1.1\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nno colon\r\n\r\n",
        "POST / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
    ])
    func handshakeRequestsAreLeftAlone(head: String) throws {
        #expect(try Self.answer(head) == nil)
    }

    @Test func contentTypeCannotSplitTheHead() {
        let page = HTTPPage(body: [0x41], contentType: "text/plain\r\nX-Evil: 1")
        #expect(page.contentType == "text/plainX-Evil: 1")
    }

    @Test func emptyPage() throws {
        let responder = HTTPPageResponder(page: HTTPPage(body: [], contentType: "text/plain"))
        let request = try WebSocketUpgradeRequest.parse(head: Array("GET / HTTP/1.1\r\n\r\n".utf8).span)
        let response = try #require(responder.response(to: request))
        #expect(
            String(decoding: response.bytes, as: UTF8.self)
                == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
                + "Cache-Control: no-store\r\nConnection: close\r\n\r\n")
    }
}
