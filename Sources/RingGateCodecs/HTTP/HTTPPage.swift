/// One small document a WebSocket listener serves to plain HTTP requests (a browser opening the
/// gateway's address), e.g. the demo chat page that then connects back over WebSocket.
public struct HTTPPage: Equatable, Sendable {
    /// The document, sent as it is.
    public var body: [UInt8]
    /// The `Content-Type` value, e.g. `text/html; charset=utf-8`.
    public var contentType: String

    /// A page with `body` of type `contentType`. CR and LF are removed from `contentType`, so a
    /// configured value cannot split the response head.
    public init(body: [UInt8], contentType: String) {
        self.body = body
        self.contentType = String(contentType.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    /// An HTML page from its text.
    public init(html: String) {
        self.init(body: Array(html.utf8), contentType: "text/html; charset=utf-8")
    }
}

/// The answer to a plain HTTP request on a listener that serves an `HTTPPage`.
public struct HTTPPageResponse: Equatable, Sendable {
    /// Which answer it is (also what the gateway counts).
    public enum Status: Equatable, Sendable {
        /// 200 with the page (`GET`), or its head only (`HEAD`).
        case ok
        /// 404: a path other than `/` or `/index.html`.
        case notFound
        /// 405: a method other than `GET` or `HEAD`.
        case methodNotAllowed
    }

    public var status: Status
    /// The whole response: head and, except for `HEAD`, body. The connection closes after it.
    public var bytes: [UInt8]
}

/// Answers plain HTTP requests with one page; every response is built once, when the listener starts.
///
/// Every response says `Connection: close` and `Cache-Control: no-store`: the gateway answers one
/// request per connection (it is no web server), and a browser must not keep a page whose script
/// may not match the next gateway version.
public struct HTTPPageResponder: Sendable {
    private let page: [UInt8]
    private let pageHead: [UInt8]
    private let notFound: [UInt8]
    private let notFoundHead: [UInt8]
    private let methodNotAllowed: [UInt8]

    /// The paths that get the page; everything else is 404.
    public static let pagePaths: Set<String> = ["/", "/index.html"]

    /// A responder serving `page`.
    public init(page: HTTPPage) {
        (pageHead, self.page) = Self.response(status: "200 OK", contentType: page.contentType, body: page.body)
        (notFoundHead, notFound) = Self.response(
            status: "404 Not Found", contentType: "text/plain; charset=utf-8", body: Array("Not Found\n".utf8))
        (_, methodNotAllowed) = Self.response(
            status: "405 Method Not Allowed", extraHeaders: "Allow: GET, HEAD\r\n",
            contentType: "text/plain; charset=utf-8", body: Array("Method Not Allowed\n".utf8))
    }

    /// The response to `request`, or nil when the request is not a plain page request and belongs to
    /// the WebSocket handshake (which accepts or refuses it): a request line that is not
    /// `method SP target SP HTTP/1.x`, a malformed header line, an `Upgrade: websocket` header or a
    /// `Sec-WebSocket-Key`.
    public func response(to request: WebSocketUpgradeRequest) -> HTTPPageResponse? {
        guard request.hasWellFormedRequestLine, request.malformedLineCount == 0,
            request.httpVersion == "HTTP/1.1" || request.httpVersion == "HTTP/1.0",
            !request.isWebSocketUpgrade, request.key == nil
        else { return nil }
        let headOnly = request.method == "HEAD"
        guard request.method == "GET" || headOnly else {
            return HTTPPageResponse(status: .methodNotAllowed, bytes: methodNotAllowed)
        }
        let path = request.target.prefix { $0 != "?" }
        guard Self.pagePaths.contains(String(path)) else {
            return HTTPPageResponse(status: .notFound, bytes: headOnly ? notFoundHead : notFound)
        }
        return HTTPPageResponse(status: .ok, bytes: headOnly ? pageHead : page)
    }

    /// The head alone and the head with `body`.
    private static func response(
        status: String, extraHeaders: String = "", contentType: String, body: [UInt8]
    ) -> (head: [UInt8], whole: [UInt8]) {
        let head = Array(
            ("HTTP/1.1 \(status)\r\n\(extraHeaders)Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
                + "Cache-Control: no-store\r\nConnection: close\r\n\r\n").utf8)
        return (head, head + body)
    }
}
