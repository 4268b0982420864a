import CLiburing
import Glibc

/// A connected, nonblocking TCP socket served with ordinary `recv`/`send` calls after an `EventPoller`
/// reported it ready.
///
/// For the few long-lived control connections that do not justify a ring (the Register service: one
/// per gateway and per worker process). Results are values, as on the ring: EAGAIN and a reset peer are
/// events for the caller, not thrown errors.
///
/// Safety: the descriptor belongs to this object alone, from `accept4` until `close()` or `deinit`,
/// whichever comes first; it is closed exactly once, and no call reaches it afterwards (every method
/// checks `isClosed`). One thread uses the object, so the check cannot race.
public final class StreamSocket {
    /// The descriptor, or -1 once closed.
    private(set) var descriptor: Int32
    /// The peer's address as `accept4` reported it (nil for a family other than IPv4/IPv6).
    public let peer: SocketAddress?

    init(descriptor: Int32, peer: SocketAddress?) {
        self.descriptor = descriptor
        self.peer = peer
    }

    deinit { close() }

    /// Whether `close()` was called.
    public var isClosed: Bool { descriptor < 0 }

    /// The outcome of `accept(from:)`.
    public enum AcceptResult {
        /// A new connection, already nonblocking and close-on-exec.
        case accepted(StreamSocket)
        /// The queue is empty (EAGAIN), or the connection died before it was accepted (ECONNABORTED,
        /// and the network errors accept(2) says to treat like EAGAIN): try again on the next readiness.
        case wouldBlock
        /// Any other failure, typically EMFILE/ENFILE/ENOBUFS: the caller should stop accepting for a
        /// while, since the listener stays readable and a level-triggered poller would spin.
        case failed(errno: Int32)
    }

    /// Accepts one pending connection from a nonblocking listener.
    public static func accept(from listener: ListeningSocket) -> AcceptResult {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        while true {
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    CLiburing_accept4(
                        listener.descriptor, $0, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
                }
            }
            if fd >= 0 {
                var one: Int32 = 1
                _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                let peer = withUnsafeBytes(of: &storage) { SocketAddress(storage: $0.baseAddress!) }
                return .accepted(StreamSocket(descriptor: fd, peer: peer))
            }
            let code = errno
            switch code {
            case EINTR: continue
            // accept(2), "Error handling": pending network errors are reported by accept; retry later.
            case EAGAIN, EWOULDBLOCK, ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET,
                EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH, EPERM:
                return .wouldBlock
            default:
                return .failed(errno: code)
            }
        }
    }

    /// The outcome of `receive(into:)`.
    public enum ReceiveResult: Equatable {
        /// `byteCount` bytes were stored at the start of the buffer.
        case received(byteCount: Int)
        /// Nothing to read now (EAGAIN).
        case wouldBlock
        /// The peer closed its side (recv returned 0).
        case endOfStream
        /// The connection failed (ECONNRESET, ETIMEDOUT, …) or is closed.
        case failed(errno: Int32)
    }

    /// Reads what is available into `buffer` (up to its count), overwriting its first bytes.
    public func receive(into buffer: inout [UInt8]) -> ReceiveResult {
        guard !isClosed else { return .failed(errno: EBADF) }
        guard !buffer.isEmpty else { return .received(byteCount: 0) }
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { return .received(byteCount: count) }
            if count == 0 { return .endOfStream }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            return .failed(errno: code)
        }
    }

    /// The outcome of `send(_:)`.
    public enum SendResult: Equatable {
        /// The first `byteCount` bytes were queued in the kernel (possibly fewer than offered).
        case sent(byteCount: Int)
        /// The kernel's send buffer is full (EAGAIN): wait for writability.
        case wouldBlock
        /// The connection failed (EPIPE, ECONNRESET, …) or is closed.
        case failed(errno: Int32)
    }

    /// Queues as much of `bytes` as the kernel takes now. MSG_NOSIGNAL: a closed peer is an EPIPE
    /// result, never a SIGPIPE.
    public func send(_ bytes: ArraySlice<UInt8>) -> SendResult {
        guard !isClosed else { return .failed(errno: EBADF) }
        guard !bytes.isEmpty else { return .sent(byteCount: 0) }
        while true {
            let count = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count >= 0 { return .sent(byteCount: count) }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            return .failed(errno: code)
        }
    }

    /// Reads and drops up to `maxByteCount` bytes that are already waiting, so that a following close
    /// sends FIN rather than RST (tcp(7): closing with unread data resets the connection, and the peer
    /// may then lose the reply it has not read yet).
    public func discardPendingInput(maxByteCount: Int = 65_536) {
        var scratch = [UInt8](repeating: 0, count: 4096)
        var left = maxByteCount
        while left > 0, case .received(let count) = receive(into: &scratch) { left -= count }
    }

    /// Closes the descriptor (idempotent). The kernel drops it from every epoll set it was in.
    public func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)
        descriptor = -1
    }
}

/// One thread drives a stream socket; see the safety paragraph.
@available(*, unavailable)
extension StreamSocket: Sendable {}
