import Glibc
import RingGateRuntime

/// A blocking loopback TCP client with receive timeouts, for tests: nothing here runs on the gateway's
/// threads, and every read gives up after `timeoutSeconds` so a broken gateway fails a test instead
/// of hanging it.
public final class TestClient {
    public let descriptor: Int32
    public private(set) var received: [UInt8] = []

    public enum Failure: Error, CustomStringConvertible {
        case system(String, Int32)
        case timedOut(have: Int, want: Int)
        case closed(have: Int, want: Int)
        public var description: String {
            switch self {
            case .system(let what, let code): return "\(what): errno \(code)"
            case .timedOut(let have, let want): return "timed out with \(have) of \(want) bytes"
            case .closed(let have, let want): return "peer closed with \(have) of \(want) bytes"
            }
        }
    }

    /// Connects to 127.0.0.1:`port` (optionally from another loopback source address).
    public init(port: UInt16, host: String = "127.0.0.1", source: String? = nil, timeoutSeconds: Int = 5) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure.system("socket", errno) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
        guard let address = SocketAddress(host: host, port: port), case .ipv4(let ip, _) = address else {
            throw Failure.system("address \(host)", EINVAL)
        }
        if let source {
            guard case .ipv4(let sourceIP, _)? = SocketAddress(host: source, port: 0) else {
                close(descriptor)
                throw Failure.system("address \(source)", EINVAL)
            }
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = sourceIP.bigEndian
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else {
                let code = errno
                close(descriptor)
                throw Failure.system("bind \(source)", code)
            }
        }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = ip.bigEndian
        let result = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            // A signal (another suite's child exiting) can interrupt a blocking connect; the connection
            // still completes in the background, so wait for it instead of failing the test.
            if code == EINTR, Self.awaitConnect(descriptor, timeoutSeconds: timeoutSeconds) { return }
            close(descriptor)
            throw Failure.system("connect", code)
        }
    }

    /// Whether an interrupted connect on `descriptor` completed within the timeout (SO_ERROR 0).
    private static func awaitConnect(_ descriptor: Int32, timeoutSeconds: Int) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        var ready: Int32
        repeat { ready = poll(&entry, 1, Int32(timeoutSeconds * 1_000)) } while ready < 0 && errno == EINTR
        guard ready == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return false }
        return error == 0
    }

    deinit { close(descriptor) }

    /// The local port (the client_port the gateway sees).
    public var localPort: UInt16 {
        var sin = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return UInt16(bigEndian: sin.sin_port)
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent < 0 {
                if errno == EINTR { continue }
                throw Failure.system("send", errno)
            }
            offset += sent
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends `bytes` in pieces of `pieceSize`, pausing so that each piece is its own segment.
    public func sendSlowly(_ bytes: [UInt8], pieceSize: Int = 1, pauseMicroseconds: UInt32 = 200) throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + pieceSize)
            try send(Array(bytes[offset..<end]))
            offset = end
            usleep(pauseMicroseconds)
        }
    }

    /// Reads until at least `count` bytes are buffered; returns and removes exactly `count`.
    public func receive(exactly count: Int) throws -> [UInt8] {
        while received.count < count {
            guard try readSome() else { throw Failure.closed(have: received.count, want: count) }
        }
        let result = Array(received[..<count])
        received.removeFirst(count)
        return result
    }

    /// Reads until the peer closes; returns everything received. Throws on timeout.
    public func receiveUntilClosed() throws -> [UInt8] {
        while try readSome() {}
        defer { received.removeAll() }
        return received
    }

    /// Whether the peer closed (reads until EOF or timeout; bytes read are kept).
    public func waitForClose() -> Bool {
        while true {
            do {
                if try !readSome() { return true }
            } catch {
                return false
            }
        }
    }

    /// One recv; false on EOF, throws on timeout or error.
    @discardableResult
    func readSome() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received += buffer[..<count]
                return true
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw Failure.timedOut(have: received.count, want: -1) }
            if errno == ECONNRESET { return false }
            throw Failure.system("recv", errno)
        }
    }

    /// Forgets the bytes read so far.
    func removeReceived() { received.removeAll() }

    /// Closes our side for writing (FIN), keeping the read side.
    public func shutdownWrite() { shutdown(descriptor, Int32(SHUT_WR)) }

    /// Closes with RST (SO_LINGER 0), the way a crashed peer disappears.
    public func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        shutdown(descriptor, Int32(SHUT_RDWR))
    }
}
