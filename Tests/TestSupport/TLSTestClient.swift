import Glibc
import RingGateTLS

/// A blocking TLS client over `TestClient` for tests, on the same OpenSSL sessions as the gateway
/// (client mode): handshake, plaintext in and out. Every read is bounded by the socket's timeout.
public final class TLSTestClient {
    public let connection: TestClient
    public let session: TLSSession
    let pipe = TLSPipe()
    public private(set) var plaintext: [UInt8] = []
    /// The server sent close_notify.
    public private(set) var closedByPeer = false

    public struct Failure: Error, CustomStringConvertible {
        public var reason: TLSHandshakeFailure
        public var detail: String
        public var description: String { "TLS failed (\(reason.rawValue)): \(detail)" }
    }

    /// Connects to 127.0.0.1:`port`; `serverName` is sent as SNI and checked against the certificate
    /// when `context` verifies. Completes the handshake unless `handshake` is false.
    public init(
        port: UInt16, context: TLSContext, serverName: String? = "localhost", handshake: Bool = true,
        timeoutSeconds: Int = 10
    ) throws {
        connection = try TestClient(port: port, timeoutSeconds: timeoutSeconds)
        guard let session = TLSSession(context: context, pipe: pipe, serverName: serverName) else {
            throw Failure(reason: .resources, detail: "no session")
        }
        self.session = session
        if handshake { try self.handshake() }
    }

    /// The client's first flight (the ClientHello), for tests that send it their own way.
    public func clientHello() throws -> [UInt8] {
        var out: [UInt8] = []
        let outcome = session.start(pipe: pipe) { append($0, to: &out) }
        if case .failed(let reason, let detail) = outcome { throw Failure(reason: reason, detail: detail) }
        return out
    }

    /// Sends the ClientHello and reads until the handshake completes (throws when it fails).
    public func handshake() throws {
        try connection.send(try clientHello())
        try finishHandshake()
    }

    /// Reads until the handshake completes, the ClientHello already sent.
    public func finishHandshake() throws {
        while !session.isHandshakeComplete { try pump() }
    }

    /// One read from the socket through the session; false on EOF.
    @discardableResult
    func pump() throws -> Bool {
        guard try connection.readSome() else { return false }
        let bytes = connection.received
        connection.removeReceived()
        var out: [UInt8] = []
        var clear: [UInt8] = []
        let outcome = session.receive(
            bytes.span, pipe: pipe, output: { append($0, to: &out) }, handshakeCompleted: {},
            plaintext: { piece in
                append(piece.span, to: &clear)
                return true
            })
        plaintext += clear
        if !out.isEmpty { try? connection.send(out) }
        switch outcome {
        case .failed(let reason, let detail): throw Failure(reason: reason, detail: detail)
        case .closedByPeer: closedByPeer = true
        default: break
        }
        return true
    }

    /// Encrypts and sends `bytes`.
    public func send(_ bytes: [UInt8]) throws {
        var out: [UInt8] = []
        guard session.write(bytes.span, pipe: pipe, output: { append($0, to: &out) }) else {
            throw Failure(reason: .protocol, detail: "write refused")
        }
        try connection.send(out)
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends raw bytes outside TLS (garbage for the record layer).
    public func sendRaw(_ bytes: [UInt8]) throws { try connection.send(bytes) }

    /// Reads until `count` plaintext bytes arrived; returns and removes them.
    public func receive(exactly count: Int) throws -> [UInt8] {
        while plaintext.count < count {
            guard try pump() else { throw TestClient.Failure.closed(have: plaintext.count, want: count) }
        }
        let result = Array(plaintext[..<count])
        plaintext.removeFirst(count)
        return result
    }

    /// Whether the gateway closed the connection (EOF or reset) within the timeout.
    public func waitForClose() -> Bool {
        while true {
            do {
                if try !pump() { return true }
            } catch let failure as TestClient.Failure {
                if case .timedOut = failure { return false }
                return true
            } catch {
                continue
            }
        }
    }
}

func append(_ span: Span<UInt8>, to array: inout [UInt8]) {
    array.reserveCapacity(array.count + span.count)
    for index in 0..<span.count { array.append(span[index]) }
}
