import Glibc

/// Why a `LoopConnection` closed.
enum CloseReason: Equatable, Sendable, CustomStringConvertible {
    /// The peer ended the stream.
    case peerClosed
    /// A read or write failed with this errno.
    case failed(errno: Int32)
    /// The TCP connect failed with this errno.
    case connectFailed(errno: Int32)
    /// The peer's bytes cannot be framed.
    case protocolError(String)
    /// A reply did not arrive in time.
    case timeout
    /// Our own code closed it.
    case local
    /// The loop is stopping.
    case shutdown

    var description: String {
        switch self {
        case .peerClosed: "closed by peer"
        case .failed(let code): "I/O error: \(errnoDescription(code)) (\(code))"
        case .connectFailed(let code): "connect failed: \(errnoDescription(code)) (\(code))"
        case .protocolError(let reason): "protocol error: \(reason)"
        case .timeout: "reply timeout"
        case .local: "closed locally"
        case .shutdown: "shutdown"
        }
    }
}

/// An outgoing TCP connection driven by an `EventLoop`: nonblocking connect, a read path that hands
/// received bytes to `didReceive`, and a write queue flushed once per loop turn.
///
/// Subclasses implement the protocol (`GatewayLink`, `RegisterLink`, `QueryConnection`, …) by
/// overriding `didConnect`, `didReceive` and `didClose`, and send by appending to `outbound` and calling
/// `outboundDidGrow()`. Bytes may be queued before the connect completes (PHP queues
/// CMD_WORKER_CONNECT the same way); they go out once it does. Every member is used on the loop
/// thread only. A connection object is used for one TCP connection; reconnecting makes a new one.
class LoopConnection {
    enum Phase: Equatable { case idle, connecting, open, closed }

    let loop: EventLoop
    let endpoint: IPv4Endpoint
    private(set) var phase = Phase.idle
    /// Position in the loop's poll set; 0 when not registered.
    var pollIndex = 0
    /// Bytes queued for the peer; `outbound[outboundOffset...]` are not written yet.
    final var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var isDirty = false
    private var wantsWritable = false
    private var socket = Socket(unopened: ())
    /// Bytes the kernel accepted so far.
    private(set) var flushedByteCount = 0
    private var flushWaiters: [(target: Int, callback: (Bool) -> Void)] = []
    /// Output capacity kept after a flush; more is released.
    private static let retainedOutboundCapacity = 1 << 20

    init(loop: EventLoop, endpoint: IPv4Endpoint) {
        self.loop = loop
        self.endpoint = endpoint
    }

    /// Whether the connection is open or still connecting (not closed, not unstarted).
    final var isActive: Bool { phase == .connecting || phase == .open }

    /// Bytes queued and not yet written.
    final var pendingOutboundByteCount: Int { outbound.count - outboundOffset }

    /// Opens the socket and starts connecting. A failure is reported through `didClose` later in the
    /// turn, never from inside `start`.
    final func start(keepAlive: Bool = false) {
        precondition(phase == .idle, "a connection is started once")
        do {
            socket = try Socket()
        } catch {
            let code: Int32 = if case .system(_, let errno) = error { errno } else { EINVAL }
            phase = .connecting
            loop.runSoon { [self] in close(.connectFailed(errno: code)) }
            return
        }
        if keepAlive { socket.enableKeepAlive() }
        let result = socket.connect(to: endpoint)
        phase = .connecting
        loop.register(self, descriptor: socket.descriptor, events: Int16(POLLOUT))
        if result == 0 {
            becomeOpen()
        } else if result != EINPROGRESS {
            loop.runSoon { [self] in close(.connectFailed(errno: result)) }
        }
    }

    /// Call after appending to `outbound`: schedules a write at the end of the turn.
    final func outboundDidGrow() {
        guard !isDirty, phase == .open, !wantsWritable, pendingOutboundByteCount > 0 else { return }
        isDirty = true
        loop.markDirty(self)
    }

    /// Calls `callback(true)` once every byte queued so far was written, or `callback(false)` if the
    /// connection closes first.
    final func whenFlushed(_ callback: @escaping (Bool) -> Void) {
        guard phase != .closed else { return callback(false) }
        let target = flushedByteCount + pendingOutboundByteCount
        if target == flushedByteCount { return callback(true) }
        flushWaiters.append((target, callback))
    }

    /// Closes the socket (once) and reports `reason` to `didClose`. Queued output is discarded.
    final func close(_ reason: CloseReason) {
        guard phase != .closed else { return }
        let wasStarted = phase != .idle
        connectionWillClose(unsentByteCount: pendingOutboundByteCount)
        phase = .closed
        loop.unregister(self)
        socket.close()
        outbound = []
        outboundOffset = 0
        let waiters = flushWaiters
        flushWaiters.removeAll()
        if wasStarted { didClose(reason) }
        for waiter in waiters { waiter.callback(false) }
    }

    // MARK: Protocol hooks

    /// The TCP connection is established (queued output is about to be written).
    func didConnect() {}

    /// Bytes arrived. The span is valid during the call only.
    func didReceive(_ bytes: Span<UInt8>) {}

    /// The connection is about to close with `unsentByteCount` queued bytes never written.
    func connectionWillClose(unsentByteCount: Int) {}

    /// The connection closed; called once, after `close` or a failure.
    func didClose(_ reason: CloseReason) {}

    // MARK: Loop callbacks

    /// The poll set reported `events` for this connection.
    final func handleReady(events: Int16) {
        if phase == .connecting {
            guard events & Int16(POLLOUT | POLLERR | POLLHUP) != 0 else { return }
            let error = socket.pendingError()
            if error == 0 { becomeOpen() } else { close(.connectFailed(errno: error)) }
            return
        }
        guard phase == .open else { return }
        if events & Int16(POLLIN | POLLHUP | POLLERR) != 0 { readAvailable() }
        if phase == .open && events & Int16(POLLOUT) != 0 { flush() }
    }

    /// The loop's end-of-turn write for a connection marked dirty.
    final func flushMarked() {
        isDirty = false
        if !wantsWritable { flush() }
    }

    private func becomeOpen() {
        phase = .open
        loop.setInterest(self, events: Int16(POLLIN))
        didConnect()
        if phase == .open && pendingOutboundByteCount > 0 { outboundDidGrow() }
    }

    private func readAvailable() {
        // A few reads per readiness: a full buffer usually means more is waiting, but one busy peer
        // must not starve the others.
        for _ in 0..<4 {
            let result = loop.withReceiveBuffer { buffer -> Int in
                let count = socket.receive(into: &buffer)
                if count > 0 { didReceive(buffer.span.extracting(0..<count)) }
                return count
            }
            if result == 0 { return close(.peerClosed) }
            if result < 0 {
                if result == -Int(EAGAIN) || result == -Int(EWOULDBLOCK) { return }
                return close(.failed(errno: Int32(-result)))
            }
            if phase != .open || result < EventLoop.receiveBufferByteCount { return }
        }
    }

    private func flush() {
        guard phase == .open, pendingOutboundByteCount > 0 else { return }
        let result = socket.send(outbound, from: outboundOffset)
        if result < 0 && result != -Int(EAGAIN) && result != -Int(EWOULDBLOCK) {
            return close(.failed(errno: Int32(-result)))
        }
        let written = max(result, 0)
        outboundOffset += written
        flushedByteCount += written
        if outboundOffset == outbound.count {
            if outbound.capacity > Self.retainedOutboundCapacity {
                outbound = []
            } else {
                outbound.removeAll(keepingCapacity: true)
            }
            outboundOffset = 0
            setWantsWritable(false)
        } else {
            if outboundOffset >= 65_536 && outboundOffset * 2 >= outbound.count {
                outbound.removeSubrange(0..<outboundOffset)
                outboundOffset = 0
            }
            setWantsWritable(true)
        }
        notifyFlushWaiters()
    }

    private func setWantsWritable(_ wanted: Bool) {
        guard wanted != wantsWritable else { return }
        wantsWritable = wanted
        loop.setInterest(self, events: Int16(wanted ? POLLIN | POLLOUT : POLLIN))
    }

    private func notifyFlushWaiters() {
        guard let first = flushWaiters.first, first.target <= flushedByteCount else { return }
        let due = flushWaiters.prefix { $0.target <= flushedByteCount }
        flushWaiters.removeFirst(due.count)
        for waiter in due { waiter.callback(true) }
    }
}
