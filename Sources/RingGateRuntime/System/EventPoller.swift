import CLiburing
import Glibc

/// Level-triggered readiness for a handful of ordinary sockets (epoll(7)), with a wake-up any thread
/// can trigger.
///
/// For services with few, long-lived connections (the Register), where a ring and provided buffers
/// would be machinery without benefit. Sockets are registered under a caller-chosen token, which comes
/// back with each readiness report, so callers never see a descriptor.
///
/// Safety: the epoll and eventfd descriptors belong to this object and are closed in `deinit`. Sockets
/// added here stay owned by their own objects; closing one removes it from the epoll set (epoll(7):
/// a descriptor is dropped once every reference to its open file description is closed, and these
/// sockets are never duplicated). `wake()` only writes to the eventfd, which is safe from any thread;
/// every other method is meant for the one thread that calls `wait`.
public final class EventPoller: Sendable {
    private let epollDescriptor: Int32
    private let wakeDescriptor: Int32
    /// The token of the wake-up eventfd, never reported to callers.
    private static let wakeToken = UInt64.max

    /// What a socket is watched for.
    public struct Interest: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let readable = Interest(rawValue: 1)
        public static let writable = Interest(rawValue: 2)
    }

    /// One readiness report.
    public struct Event: Equatable, Sendable {
        /// The token the socket was registered with.
        public var token: UInt64
        /// Data (or a pending connection, or EOF) can be read.
        public var isReadable: Bool
        /// The send buffer has room.
        public var isWritable: Bool
        /// EPOLLHUP or EPOLLERR: the connection is gone; a read reports how.
        public var isHangUp: Bool
    }

    public init() throws(SystemError) {
        let epoll = try retryingSyscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        let wake: Int32
        do {
            wake = try retryingSyscall("eventfd") { eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK)) }
        } catch {
            Glibc.close(epoll)
            throw error
        }
        epollDescriptor = epoll
        wakeDescriptor = wake
        do {
            try control(EPOLL_CTL_ADD, wake, token: Self.wakeToken, interest: .readable)
        } catch {
            Glibc.close(epoll)
            Glibc.close(wake)
            throw error
        }
    }

    deinit {
        Glibc.close(epollDescriptor)
        Glibc.close(wakeDescriptor)
    }

    /// Watches a listener for pending connections.
    public func add(_ listener: ListeningSocket, token: UInt64) throws(SystemError) {
        try control(EPOLL_CTL_ADD, listener.descriptor, token: token, interest: .readable)
    }

    /// Stops watching a listener (to pause accepting).
    public func remove(_ listener: ListeningSocket) {
        _ = epoll_ctl(epollDescriptor, EPOLL_CTL_DEL, listener.descriptor, nil)
    }

    /// Watches a connection.
    public func add(_ socket: StreamSocket, token: UInt64, interest: Interest) throws(SystemError) {
        precondition(!socket.isClosed, "a closed socket cannot be watched")
        try control(EPOLL_CTL_ADD, socket.descriptor, token: token, interest: interest)
    }

    /// Changes what a watched connection is watched for.
    public func modify(_ socket: StreamSocket, token: UInt64, interest: Interest) throws(SystemError) {
        precondition(!socket.isClosed, "a closed socket cannot be watched")
        try control(EPOLL_CTL_MOD, socket.descriptor, token: token, interest: interest)
    }

    /// Waits up to `timeoutMilliseconds` (-1: no limit) for readiness or a `wake()`, and returns the
    /// reports (at most `maxEvents`; level-triggered, so what is left is reported again next time).
    /// An empty result means the time ran out, a signal interrupted the wait, or `wake()` was called.
    public func wait(timeoutMilliseconds: Int32, maxEvents: Int = 64) -> [Event] {
        var raw = [epoll_event](repeating: epoll_event(), count: max(1, maxEvents))
        let count = raw.withUnsafeMutableBufferPointer {
            epoll_wait(epollDescriptor, $0.baseAddress, Int32($0.count), timeoutMilliseconds)
        }
        guard count > 0 else { return [] }
        var events: [Event] = []
        events.reserveCapacity(Int(count))
        for item in raw[..<Int(count)] {
            if item.data.u64 == Self.wakeToken {
                var counter: UInt64 = 0
                _ = read(wakeDescriptor, &counter, 8)
                continue
            }
            let flags = item.events
            events.append(
                Event(
                    token: item.data.u64,
                    isReadable: flags & EPOLLIN.rawValue != 0,
                    isWritable: flags & EPOLLOUT.rawValue != 0,
                    isHangUp: flags & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0))
        }
        return events
    }

    /// Makes the current or next `wait` return at once. Callable from any thread.
    public func wake() {
        var one: UInt64 = 1
        _ = write(wakeDescriptor, &one, 8)
    }

    private func control(_ operation: Int32, _ descriptor: Int32, token: UInt64, interest: Interest)
        throws(SystemError)
    {
        // No EPOLLRDHUP: a half-closed peer shows up as a readable EOF, and a level-triggered RDHUP
        // on a socket watched only for writability would be reported forever.
        var flags: UInt32 = 0
        if interest.contains(.readable) { flags |= EPOLLIN.rawValue }
        if interest.contains(.writable) { flags |= EPOLLOUT.rawValue }
        var event = epoll_event()
        event.events = flags
        event.data.u64 = token
        _ = try retryingSyscall("epoll_ctl") { epoll_ctl(epollDescriptor, operation, descriptor, &event) }
    }
}
