import Glibc
import RingGateCodecs

/// Bytes from hex text (spaces ignored).
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8.filter { $0 != UInt8(ascii: " ") })
    precondition(digits.count % 2 == 0, "even number of hex digits")
    func nibble(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: byte - UInt8(ascii: "A") + 10
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// UTF-8 bytes of text.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Why a fake peer operation failed.
struct FakeSocketError: Error, CustomStringConvertible {
    var description: String
}

/// A nonblocking loopback listener on 127.0.0.1 with a kernel-chosen port, for fake gateways and
/// Registers. Every wait polls with a short sleep, so tests never block a cooperative thread and
/// every wait has a deadline.
final class FakeListener: @unchecked Sendable {
    /// Accepted peers stay open as long as the listener lives, so a test that ignores a peer does
    /// not close that connection by accident.
    private var accepted: [FakePeer] = []
    let descriptor: Int32
    let port: UInt16
    let host: String

    /// Listens on `host` (any 127.x.y.z address is local on Linux).
    init(host: String = "127.0.0.1") throws {
        self.host = host
        var ip = in_addr()
        guard inet_pton(AF_INET, host, &ip) == 1 else { throw FakeSocketError(description: "bad host \(host)") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw FakeSocketError(description: "socket: \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr = ip
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            Glibc.close(fd)
            throw FakeSocketError(description: "bind: \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        descriptor = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit { Glibc.close(descriptor) }

    /// `host:port`.
    var address: String { "\(host):\(port)" }

    /// The next incoming connection, or an error after `timeout`. Timeouts here bound how long a failure
    /// takes, nothing else: the whole suite runs in one process on a 2-core machine, where synchronous
    /// end-to-end suites can hold the cooperative threads these polling loops need for seconds.
    func accept(timeout: Duration = .seconds(30)) async throws -> FakePeer {
        let deadline = ContinuousClock.now + timeout
        while true {
            let client = Glibc.accept(descriptor, nil, nil)
            if client >= 0 {
                _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                let peer = FakePeer(descriptor: client)
                accepted.append(peer)
                return peer
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else {
                throw FakeSocketError(description: "accept: \(errno)")
            }
            guard ContinuousClock.now < deadline else { throw FakeSocketError(description: "no connection in time") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Fails if a connection arrives within `duration`.
    func expectNoConnection(for duration: Duration) async throws {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            let client = Glibc.accept(descriptor, nil, nil)
            if client >= 0 {
                Glibc.close(client)
                throw FakeSocketError(description: "unexpected connection")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// One accepted connection of a fake server.
final class FakePeer: @unchecked Sendable {
    private(set) var descriptor: Int32
    private var buffered: [UInt8] = []
    private(set) var sawEndOfStream = false

    init(descriptor: Int32) {
        self.descriptor = descriptor
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Writes all of `bytes`.
    func send(_ bytes: [UInt8]) async throws {
        var offset = 0
        let deadline = ContinuousClock.now + .seconds(30)
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            guard sent < 0, errno == EAGAIN || errno == EINTR, ContinuousClock.now < deadline else {
                throw FakeSocketError(description: "send: \(errno)")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Writes `bytes` in pieces of `pieceSize` with a short pause between, so each piece tends to be
    /// its own segment.
    func sendSlowly(_ bytes: [UInt8], pieceSize: Int = 1) async throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + pieceSize, bytes.count)
            try await send(Array(bytes[offset..<end]))
            offset = end
            try await Task.sleep(for: .microseconds(200))
        }
    }

    /// Reads whatever is available into the buffer; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffered.append(contentsOf: chunk[..<count])
            return true
        }
        if count == 0 || errno == ECONNRESET {
            sawEndOfStream = true
            return false
        }
        guard errno == EAGAIN || errno == EINTR else { throw FakeSocketError(description: "recv: \(errno)") }
        return true
    }

    /// Exactly `count` bytes.
    func receive(exactly count: Int, timeout: Duration = .seconds(30)) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while buffered.count < count {
            guard try fill() else { throw FakeSocketError(description: "closed after \(buffered.count) bytes") }
            if buffered.count >= count { break }
            guard ContinuousClock.now < deadline else {
                throw FakeSocketError(description: "timed out with \(buffered.count) of \(count) bytes")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        defer { buffered.removeFirst(count) }
        return Array(buffered[..<count])
    }

    /// The exact bytes of the next GatewayProtocol packet.
    func receivePacketBytes(timeout: Duration = .seconds(30)) async throws -> [UInt8] {
        let header = try await peek(GatewayHeader.byteCount, timeout: timeout)
        let length = Int(GatewayHeader(decoding: header)!.packLength)
        return try await receive(exactly: length, timeout: timeout)
    }

    /// The next GatewayProtocol packet.
    func receivePacket(timeout: Duration = .seconds(30)) async throws -> GatewayPacket {
        var assembler = GatewayPacketAssembler()
        assembler.append(try await receivePacketBytes(timeout: timeout))
        return try assembler.nextPacket()!
    }

    private func peek(_ count: Int, timeout: Duration) async throws -> [UInt8] {
        let bytes = try await receive(exactly: count, timeout: timeout)
        buffered.insert(contentsOf: bytes, at: 0)
        return bytes
    }

    /// The next `\n`-terminated line, without the terminator.
    func receiveLine(timeout: Duration = .seconds(30)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffered[..<newline], as: UTF8.self)
                buffered.removeFirst(newline + 1)
                return line
            }
            guard try fill() else { throw FakeSocketError(description: "closed before a line") }
            guard ContinuousClock.now < deadline else { throw FakeSocketError(description: "no line in time") }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Waits until the other side closes the connection.
    func expectClosed(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while try fill() {
            guard ContinuousClock.now < deadline else { throw FakeSocketError(description: "still open") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Fails if any byte arrives within `duration`.
    func expectSilence(for duration: Duration) async throws {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            let before = buffered.count
            _ = try fill()
            if buffered.count != before { throw FakeSocketError(description: "unexpected bytes") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(
    timeout: Duration = .seconds(30), _ condition: @Sendable () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}
