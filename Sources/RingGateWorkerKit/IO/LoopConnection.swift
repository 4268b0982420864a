import Glibc
import NIOCore
import NIOPosix
import RingGateCodecs

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

/// An outgoing TCP connection on the kit's NIO event loop: a channel whose pipeline is the subclass's
/// framing decoder (a `ByteToMessageDecoder`) and a handler that hands every frame to `didReceive`,
/// and a write queue flushed once per loop iteration.
///
/// Subclasses implement the protocol (`GatewayLink`, `RegisterLink`, `QueryConnection`) by overriding
/// `makeDecoder`, `didConnect`, `didReceive` and `didClose`, and send by appending to `outbound` and
/// calling `outboundDidGrow()`. Bytes may be queued before the connect completes (PHP queues
/// CMD_WORKER_CONNECT the same way); they go out once it does. Every member is used on the loop
/// thread only. A connection object is used for one TCP connection; reconnecting makes a new one.
class LoopConnection {
    enum Phase: Equatable { case idle, connecting, open, closed }

    let loop: KitLoop
    let endpoint: IPv4Endpoint
    private(set) var phase = Phase.idle
    /// Bytes queued for the peer and not yet handed to the channel.
    final var outbound: [UInt8] = []
    private var flushScheduled = false
    /// Frames of one socket read are being handled: output waits for the read to complete, so the
    /// replies to every event of the read go out in one write.
    private var readInProgress = false
    private var channel: (any Channel)?
    private var channelBytesAfterLastWrite = 0
    /// Callbacks of `whenFlushed` not yet attached to a flush marker (the connect is pending).
    private var flushWaiters: [(Bool) -> Void] = []
    /// Output capacity kept after a flush; more is released.
    private static let retainedOutboundCapacity = 1 << 20

    init(loop: KitLoop, endpoint: IPv4Endpoint) {
        self.loop = loop
        self.endpoint = endpoint
    }

    /// Whether the connection is open or still connecting (not closed, not unstarted).
    final var isActive: Bool { phase == .connecting || phase == .open }

    /// Bytes queued and not yet written to the socket, at most: `outbound` plus what the channel still held
    /// after the latest write (it only shrinks until the next one). Cheap enough to check per command.
    final var pendingOutboundByteCountBound: Int { outbound.count + channelBytesAfterLastWrite }

    /// Bytes queued and not yet written to the socket, exactly (asks the channel).
    final var pendingOutboundByteCount: Int { outbound.count + channelBufferedByteCount() }

    /// Starts connecting. A failure is reported through `didClose` later, never from inside `start`.
    final func start(keepAlive: Bool = false) {
        precondition(phase == .idle, "a connection is started once")
        phase = .connecting
        guard !loop.isStopped else { return loop.nioLoop.assumeIsolated().execute { [self] in close(.shutdown) } }
        loop.register(self)
        let address: SocketAddress
        do {
            address = try endpoint.socketAddress()
        } catch {
            return loop.runSoon { [self] in close(.connectFailed(errno: EINVAL)) }
        }
        let bound = NIOLoopBound(self, eventLoop: loop.nioLoop)
        ClientBootstrap(group: loop.nioLoop)
            .channelOption(.socketOption(.so_keepalive), value: keepAlive ? 1 : 0)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = bound.value
                    try channel.pipeline.syncOperations.addHandler(connection.makeDecoder())
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(connection))
                }
            }
            .connect(to: address)
            .assumeIsolated()
            .whenComplete { [self] result in
                switch result {
                case .success(let channel): becomeOpen(channel)
                case .failure(let error): close(.connectFailed(errno: IOErrors.errno(of: error) ?? ECONNREFUSED))
                }
            }
    }

    /// Call after appending to `outbound`: schedules one write, at the end of the current read or
    /// after the current loop iteration.
    final func outboundDidGrow() {
        guard !flushScheduled, !readInProgress, phase == .open, !outbound.isEmpty else { return }
        flushScheduled = true
        loop.runSoon { [self] in flushOutbound() }
    }

    /// Calls `callback(true)` once every byte queued so far was written, or `callback(false)` if the
    /// connection closes first.
    final func whenFlushed(_ callback: @escaping (Bool) -> Void) {
        guard phase != .closed else { return callback(false) }
        flushWaiters.append(callback)
        guard phase == .open, let channel else { return }  // written (or failed) once connected
        flushOutbound()
        writeFlushMarker(on: channel)
    }

    /// Closes the channel (once) and reports `reason` to `didClose`. Queued output is discarded.
    final func close(_ reason: CloseReason) {
        guard phase != .closed else { return }
        let wasStarted = phase != .idle
        connectionWillClose(unsentByteCount: pendingOutboundByteCount)
        phase = .closed
        loop.unregister(self)
        channel?.close(promise: nil)
        channel = nil
        outbound = []
        let waiters = flushWaiters
        flushWaiters.removeAll()
        if wasStarted { didClose(reason) }
        for waiter in waiters { waiter(false) }
    }

    // MARK: Protocol hooks

    /// The channel handler that frames received bytes (each frame reaches `didReceive`).
    func makeDecoder() -> any ChannelHandler {
        preconditionFailure("subclasses frame their protocol")
    }

    /// The TCP connection is established (queued output is about to be written).
    func didConnect() {}

    /// One frame arrived.
    func didReceive(_ frame: ByteBuffer) {}

    /// The connection is about to close with `unsentByteCount` queued bytes never written.
    func connectionWillClose(unsentByteCount: Int) {}

    /// The connection closed; called once, after `close` or a failure.
    func didClose(_ reason: CloseReason) {}

    // MARK: Channel events

    private func becomeOpen(_ channel: any Channel) {
        guard phase == .connecting else {
            channel.close(promise: nil)  // closed (or the kit stopped) while connecting
            return
        }
        self.channel = channel
        phase = .open
        didConnect()
        outboundDidGrow()
        if !flushWaiters.isEmpty { writeFlushMarker(on: channel) }
    }

    fileprivate func frameArrived(_ frame: ByteBuffer) {
        guard phase == .open else { return }
        readInProgress = true
        didReceive(frame)
    }

    fileprivate func readDidComplete() {
        readInProgress = false
        flushOutbound()
    }

    fileprivate func channelFailed(_ error: any Error) {
        if let error = error as? GatewayProtocolError { return close(.protocolError(error.description)) }
        if let error = error as? FrameTooLong { return close(.protocolError(error.description)) }
        if let code = IOErrors.errno(of: error) { return close(.failed(errno: code)) }
        close(.protocolError("\(error)"))
    }

    fileprivate func channelClosed() {
        close(.peerClosed)
    }

    private func flushOutbound() {
        flushScheduled = false
        guard phase == .open, let channel, !outbound.isEmpty else { return }
        let buffer = channel.allocator.buffer(bytes: outbound)
        if outbound.capacity > Self.retainedOutboundCapacity {
            outbound = []
        } else {
            outbound.removeAll(keepingCapacity: true)
        }
        channel.writeAndFlush(buffer, promise: nil)
        channelBytesAfterLastWrite = channelBufferedByteCount()
    }

    private func channelBufferedByteCount() -> Int {
        (try? channel?.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
    }

    /// An empty write whose promise completes once everything written before it reached the socket:
    /// what `whenFlushed` waits for, without a promise on every write.
    private func writeFlushMarker(on channel: any Channel) {
        let waiters = flushWaiters
        flushWaiters.removeAll()
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(channel.allocator.buffer(capacity: 0), promise: written)
        written.futureResult.assumeIsolated().whenComplete { result in
            let success = if case .success = result { true } else { false }
            for waiter in waiters { waiter(success) }
        }
    }
}

/// The last handler of a kit connection's pipeline: frames to the connection, errors and EOF close it.
private final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// Strong, not weak: a weak reference would move the connection's reference count to a side table
    /// and slow every retain of it (one per event). The cycle through the channel is broken when the
    /// connection closes (it drops the channel), which it does at the latest on `channelInactive`.
    private let connection: LoopConnection

    init(_ connection: LoopConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.frameArrived(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection.readDidComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.channelClosed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.channelFailed(error)
    }
}

/// errno values inside NIO's errors.
enum IOErrors {
    /// The errno of a failed system call or connect attempt; nil for other errors.
    static func errno(of error: any Error) -> Int32? {
        if let error = error as? IOError { return error.errnoCode }
        if let error = error as? NIOConnectionError {
            return error.connectionErrors.lazy.compactMap { errno(of: $0.error) }.first
        }
        return nil
    }
}
