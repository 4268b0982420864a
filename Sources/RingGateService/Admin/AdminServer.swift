import Logging
import RingGate
import RingGateRuntime
import Synchronization

/// The admin endpoint: a small HTTP/1.1 server on its own thread, for `/status`, `/metrics` and
/// `/health`. Off the public port and off the shards: a scrape asks the shards for their figures
/// through their mailboxes and never holds a lock they take.
///
/// One request per connection (`Connection: close`); heads over 8 KiB or slower than 5 s are dropped,
/// at most 64 connections are open at once. Bad requests are counted and logged, throttled.
public final class AdminServer: Sendable {
    public struct Request: Sendable, Equatable {
        public var method: String
        /// The path without the query string.
        public var path: String
        public var query: String
    }

    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]

        public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        public init(status: Int, text: String) { self.init(status: status, body: Array(text.utf8)) }
    }

    public typealias Handler = @Sendable (Request) -> Response

    /// What peers did wrong, for `/metrics` (written by the admin thread, read by a scrape).
    public final class Counters: Sendable {
        /// Requests answered 400, 405 or 431.
        public let badRequests = Atomic<UInt64>(0)
        /// Connections closed without a complete request head within `requestTimeout`.
        public let timeouts = Atomic<UInt64>(0)
        /// Connections closed at accept: `maxConnections` were already open.
        public let refusedConnections = Atomic<UInt64>(0)
        public init() {}
    }

    public let address: SocketAddress
    private let listener: ListeningSocket
    /// The listening socket (a live takeover hands a duplicate to the new process).
    var listeningSocket: ListeningSocket { listener }
    private let poller: EventPoller
    private let handler: Handler
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    private let thread = Mutex<ShardThread?>(nil)
    public let counters: Counters

    static let maxHeadLength = 8_192
    static let requestTimeout: Duration = .seconds(5)
    /// Open connections at most: a local peer that opens many cannot make the admin thread hold their
    /// buffers (the endpoint is loopback-only unless admin.allow_remote).
    static let maxConnections = 64

    public init(
        address: SocketAddress, logger: Logger, counters: Counters = Counters(), adopting: ListeningSocket? = nil,
        handler: @escaping Handler
    ) throws(SystemError) {
        self.counters = counters
        if let adopting {
            listener = adopting
        } else {
            listener = try ListeningSocket(binding: address, backlog: 64, reusePort: false, nonBlocking: true)
        }
        self.address = listener.address
        poller = try EventPoller()
        try poller.add(listener, token: 0)
        self.handler = handler
        self.logger = logger
    }

    public func start() {
        thread.withLock { $0 = ShardThread(name: "ringgate-admin", cpu: nil) { [self] in run() } }
    }

    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        poller.wake()
        let running = thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        running?.join()
    }

    private final class Connection {
        let socket: StreamSocket
        let deadline: ContinuousClock.Instant
        var input: [UInt8] = []
        var output: [UInt8] = []
        var sent = 0
        init(socket: StreamSocket, deadline: ContinuousClock.Instant) {
            self.socket = socket
            self.deadline = deadline
        }
    }

    private func run() {
        var connections: [UInt64: Connection] = [:]
        var nextToken: UInt64 = 1
        var notices = ThrottledNotices(logger: logger)
        while !stopRequested.load(ordering: .acquiring) {
            for event in poller.wait(timeoutMilliseconds: 1_000) {
                if event.token == 0 {
                    while case .accepted(let socket) = StreamSocket.accept(from: listener) {
                        guard connections.count < Self.maxConnections else {
                            counters.refusedConnections.add(1, ordering: .relaxed)
                            notices.notice(
                                "admin connection refused: \(Self.maxConnections) already open",
                                peer: socket.peer.map(\.description) ?? "?", level: .warning, now: ShardLoop.now())
                            socket.close()
                            continue
                        }
                        let token = nextToken
                        nextToken += 1
                        guard (try? poller.add(socket, token: token, interest: .readable)) != nil else { continue }
                        connections[token] = Connection(
                            socket: socket, deadline: .now + Self.requestTimeout)
                    }
                    continue
                }
                guard let connection = connections[event.token] else { continue }
                if !serve(connection, token: event.token, notices: &notices) { connections[event.token] = nil }
            }
            let now = ContinuousClock.now
            for (token, connection) in connections where connection.deadline < now {
                if connection.output.isEmpty {
                    counters.timeouts.add(1, ordering: .relaxed)
                    notices.notice(
                        "admin request timed out: no complete head within \(Self.requestTimeout)",
                        peer: connection.socket.peer.map(\.description) ?? "?", now: ShardLoop.now())
                }
                connection.socket.close()
                connections[token] = nil
            }
            notices.flush(now: ShardLoop.now())
        }
        for connection in connections.values { connection.socket.close() }
    }

    /// Reads, answers once the head is complete, writes; false once the connection is done.
    private func serve(_ connection: Connection, token: UInt64, notices: inout ThrottledNotices) -> Bool {
        if connection.output.isEmpty {
            var buffer = [UInt8](repeating: 0, count: 4_096)
            switch connection.socket.receive(into: &buffer) {
            case .received(let count):
                connection.input += buffer[..<count]
            case .wouldBlock:
                return true
            case .endOfStream, .failed:
                connection.socket.close()
                return false
            }
            guard let response = respond(to: connection.input) else { return true }
            if let problem = Self.problem(of: response) {
                counters.badRequests.add(1, ordering: .relaxed)
                notices.notice(
                    "admin request refused: \(problem)", peer: connection.socket.peer.map(\.description) ?? "?",
                    now: ShardLoop.now())
            }
            connection.output = response
            _ = try? poller.modify(connection.socket, token: token, interest: .writable)
        }
        while connection.sent < connection.output.count {
            switch connection.socket.send(connection.output[connection.sent...]) {
            case .sent(let count): connection.sent += count
            case .wouldBlock: return true
            case .failed:
                connection.socket.close()
                return false
            }
        }
        connection.socket.close()
        return false
    }

    /// The response bytes once `input` holds a complete head (or is over the limit); nil to read more.
    func respond(to input: [UInt8]) -> [UInt8]? {
        switch Self.parseHead(input) {
        case .incomplete:
            return nil
        case .tooLarge:
            return Self.serialize(Response(status: 431, text: "request head too large\n"), headOnly: false)
        case .malformed:
            return Self.serialize(Response(status: 400, text: "bad request\n"), headOnly: false)
        case .request(let request):
            guard request.method == "GET" || request.method == "HEAD" else {
                return Self.serialize(Response(status: 405, text: "only GET\n"), headOnly: false)
            }
            return Self.serialize(handler(request), headOnly: request.method == "HEAD")
        }
    }

    /// The reason a response refuses a bad request (400, 405, 431), for the log line; nil otherwise.
    static func problem(of response: [UInt8]) -> String? {
        for (status, reason) in [
            (400, "malformed request head (400)"), (405, "method not allowed (405)"),
            (431, "request head over \(maxHeadLength) bytes (431)"),
        ]
        where response.starts(with: Array("HTTP/1.1 \(status) ".utf8)) {
            return reason
        }
        return nil
    }

    enum HeadParse: Equatable {
        case incomplete
        case tooLarge
        case malformed
        case request(Request)
    }

    static func parseHead(_ input: [UInt8]) -> HeadParse {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard let end = input.firstRange(of: terminator) else {
            return input.count > maxHeadLength ? .tooLarge : .incomplete
        }
        guard end.lowerBound <= maxHeadLength else { return .tooLarge }
        guard let lineEnd = input.firstRange(of: [13, 10]) else { return .malformed }
        let parts = input[..<lineEnd.lowerBound].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].starts(with: Array("HTTP/1.".utf8)),
            let method = String(validating: parts[0], as: UTF8.self),
            let target = String(validating: parts[1], as: UTF8.self), target.hasPrefix("/")
        else { return .malformed }
        let pieces = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return .request(
            Request(method: method, path: String(pieces[0]), query: pieces.count > 1 ? String(pieces[1]) : ""))
    }

    static func serialize(_ response: Response, headOnly: Bool) -> [UInt8] {
        let head =
            "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
            + "Content-Type: \(response.contentType)\r\nContent-Length: \(response.body.count)\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + (headOnly ? [] : response.body)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 431: "Request Header Fields Too Large"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
