import Foundation
import Glibc
import RingGateTLS

/// One blocking loopback TLS client of the TLS scenario (the load here is handshakes and a few hundred
/// echo connections, not the io_uring generators' hundreds of thousands): connect, handshake on
/// RingGateTLS client sessions, optional WebSocket upgrade, framed echo.
final class TLSBenchClient {
    let descriptor: Int32
    let session: TLSSession
    private let pipe: TLSPipe
    private var plaintext: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(port: UInt16, context: TLSContext, pipe: TLSPipe, serverName: String = "localhost") throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        self.descriptor = descriptor
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, 4)
        guard LoopbackPort.connect(descriptor, to: port) else {
            let code = errno
            close(descriptor)
            throw Failure(description: "connect: errno \(code)")
        }
        guard let session = TLSSession(context: context, pipe: pipe, serverName: serverName) else {
            close(descriptor)
            throw Failure(description: "no TLS session")
        }
        self.session = session
        self.pipe = pipe
        var hello: [UInt8] = []
        _ = session.start(pipe: pipe) { hello += Self.bytes($0) }
        try write(hello)
        while !session.isHandshakeComplete { try pump() }
    }

    deinit { close(descriptor) }

    static func bytes(_ span: Span<UInt8>) -> [UInt8] {
        span.withUnsafeBufferPointer { Array($0) }
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += sent
        }
    }

    private func pump() throws {
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else {
            throw Failure(description: count == 0 ? "closed by the server" : "recv: errno \(errno)")
        }
        var out: [UInt8] = []
        var clear: [UInt8] = []
        let received = Array(buffer[..<count])
        let outcome = session.receive(
            received.span, pipe: pipe, output: { out += Self.bytes($0) },
            handshakeCompleted: {},
            plaintext: { piece in
                clear += Self.bytes(piece.span)
                return true
            })
        plaintext += clear
        if !out.isEmpty { try write(out) }
        if case .failed(let reason, let detail) = outcome { throw Failure(description: "\(reason): \(detail)") }
    }

    func send(_ bytes: [UInt8]) throws {
        var out: [UInt8] = []
        guard session.write(bytes.span, pipe: pipe, output: { out += Self.bytes($0) }) else {
            throw Failure(description: "write refused")
        }
        try write(out)
    }

    func receive(exactly count: Int) throws -> [UInt8] {
        while plaintext.count < count { try pump() }
        let result = Array(plaintext[..<count])
        plaintext.removeFirst(count)
        return result
    }

    /// The WebSocket upgrade; returns once the 101's head is read.
    func upgrade() throws {
        try send(
            Array(
                ("GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8))
        var head: [UInt8] = []
        while !(head.count >= 4 && Array(head.suffix(4)) == [13, 10, 13, 10]) { head += try receive(exactly: 1) }
        guard head.starts(with: Array("HTTP/1.1 101".utf8)) else {
            throw Failure(description: "upgrade refused: \(String(decoding: head.prefix(40), as: UTF8.self))")
        }
    }

    /// One masked text frame of `payload` (< 126 bytes) and its echo (server frames are unmasked).
    func echo(_ payload: [UInt8]) throws {
        try send([0x81, 0x80 | UInt8(payload.count), 0, 0, 0, 0] + payload)
        let answer = try receive(exactly: 2 + payload.count)
        guard answer[1] == UInt8(payload.count), Array(answer[2...]) == payload else {
            throw Failure(description: "wrong echo")
        }
    }
}
