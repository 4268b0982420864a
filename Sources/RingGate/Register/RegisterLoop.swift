import Logging
import RingGateCodecs
import RingGateRuntime

/// The Register's service thread: accepts, reads, feeds the registry, writes and closes.
///
/// Everything here is touched by that one thread only. Output is queued per connection and written as
/// far as the kernel takes it; the rest waits for writability, up to
/// `maxPendingOutputByteCount`. A close requested by the registry first flushes the queue (the "Bad
/// request" line must reach the peer), with reading stopped, like workerman's `close($data)`.
final class RegisterLoop {
    /// The token of the listener in the poller; connection tokens are their ids, from 1.
    static let listenerToken: UInt64 = 0
    /// Bytes read per readiness report (level-triggered: more data is reported again).
    private static let readSize = 16_384
    /// Connections accepted per readiness report of the listener, so a connection storm cannot starve
    /// the others.
    private static let acceptBatch = 64

    private struct Link {
        let socket: StreamSocket
        /// For log lines: `ip:port`.
        let peer: String
        /// Queued output; bytes before `outputOffset` were sent.
        var output: [UInt8] = []
        var outputOffset = 0
        /// The registry asked for a close: flush, then close.
        var closeRequested = false
        /// Set when a requested close could not flush at once: the connection is dropped at this instant.
        var flushDeadline: ContinuousClock.Instant?
        /// What the poller currently watches the socket for.
        var watched: EventPoller.Interest = .readable

        var pendingByteCount: Int { output.count - outputOffset }
    }

    private let configuration: RegisterServer.Configuration
    private let listener: ListeningSocket
    private let poller: EventPoller
    private let publish: (RegisterServer.Snapshot) -> Void
    private var logger: Logger
    /// Peer-triggered log lines (closes, refusals, overflows), at most one per message per interval.
    private var notices: ThrottledNotices
    /// The origin of the nanosecond clock `notices` reads.
    private let started = ContinuousClock.now
    /// When the last coalesced broadcast went out; the next one waits `broadcastInterval` after it.
    private var lastBroadcast: ContinuousClock.Instant?
    private var registry: RegisterRegistry
    private var links: [UInt64: Link] = [:]
    private var nextID: UInt64 = 1
    /// While set, the listener is out of the poller until this instant.
    private var acceptResumes: ContinuousClock.Instant?
    private var scratch = [UInt8](repeating: 0, count: RegisterLoop.readSize)
    private var snapshot = RegisterServer.Snapshot()
    /// Connections whose requested close waits for their output to be read.
    private var flushingCloses: Set<UInt64> = []
    /// Actions not yet performed: performing one can produce more (a dropped gateway re-broadcasts).
    private var pendingActions: [RegisterRegistry.Action] = []

    init(
        configuration: RegisterServer.Configuration, listener: ListeningSocket, poller: EventPoller, logger: Logger,
        publish: @escaping (RegisterServer.Snapshot) -> Void
    ) {
        self.configuration = configuration
        self.listener = listener
        self.poller = poller
        self.logger = logger
        self.notices = ThrottledNotices(logger: logger)
        self.publish = publish
        self.registry = RegisterRegistry(configuration: configuration.registry)
    }

    /// Serves until `stop` is requested, then closes every connection (the listener closes when the
    /// last reference to it goes).
    func run(until stop: RegisterServer.StopFlag) {
        publishSnapshot()
        while !stop.isRequested {
            let events = poller.wait(timeoutMilliseconds: waitMilliseconds(now: .now))
            for event in events {
                if event.token == Self.listenerToken {
                    acceptPending()
                } else {
                    serve(event)
                }
            }
            let now = ContinuousClock.now
            perform(registry.timeElapsed(now: now))
            if let resume = acceptResumes, resume <= now { resumeAccepting() }
            for id in flushingCloses where links[id]?.flushDeadline.map({ $0 <= now }) ?? true {
                snapshot.closeFlushTimeouts += 1
                notices.notice(
                    "register connection did not read before its close; closing it anyway",
                    peer: links[id]?.peer ?? "?", level: .warning,
                    metadata: ["pending_bytes": "\(links[id]?.pendingByteCount ?? 0)"], now: nanoseconds(now))
                drop(id, why: "close flush timed out")
            }
            broadcastIfDue(now: now)
            notices.flush(now: nanoseconds(now))
            publishSnapshot()
        }
        for link in links.values { link.socket.close() }
        links.removeAll()
        poller.remove(listener)
    }

    // MARK: Accepting

    private func acceptPending() {
        for _ in 0..<Self.acceptBatch {
            switch StreamSocket.accept(from: listener) {
            case .accepted(let socket):
                admit(socket)
            case .wouldBlock:
                return
            case .failed(let code):
                logger.error(
                    "register accept failed; pausing accepts",
                    metadata: ["errno": "\(code)", "pause": "\(configuration.acceptPause)"])
                poller.remove(listener)
                acceptResumes = .now + configuration.acceptPause
                return
            }
        }
    }

    private func resumeAccepting() {
        acceptResumes = nil
        do {
            try poller.add(listener, token: Self.listenerToken)
        } catch {
            logger.error("register cannot watch its listener", metadata: ["error": "\(error)"])
            acceptResumes = .now + configuration.acceptPause
        }
    }

    private func admit(_ socket: StreamSocket) {
        let peer = socket.peer.map(\.description) ?? "?"
        let now = ContinuousClock.now
        if links.count >= configuration.maxConnections {
            // Idle or slow unauthenticated sockets must not lock gateways and workers out: the oldest
            // one makes room; authenticated peers are never evicted.
            guard let victim = registry.oldestUnauthenticated, let evicted = links[victim.rawValue] else {
                snapshot.connectionsRefused += 1
                notices.notice(
                    "register connection refused: too many authenticated connections", peer: peer, level: .warning,
                    metadata: ["max_connections": "\(configuration.maxConnections)"], now: nanoseconds(now))
                socket.close()
                return
            }
            snapshot.connectionsEvicted += 1
            notices.notice(
                "register connection table full; closing the oldest unauthenticated connection",
                peer: evicted.peer, metadata: ["max_connections": "\(configuration.maxConnections)"],
                now: nanoseconds(now))
            drop(victim.rawValue, why: "evicted for a new connection")
        }
        let id = nextID
        nextID += 1
        guard registry.connectionOpened(.init(id), peerIP: Self.phpRemoteIP(socket.peer), now: now) else {
            snapshot.connectionsRefused += 1  // unreachable: ids only grow
            socket.close()
            return
        }
        do {
            try poller.add(socket, token: id, interest: .readable)
        } catch {
            logger.error("register cannot watch a connection", metadata: ["peer": "\(peer)", "error": "\(error)"])
            socket.close()
            _ = registry.connectionClosed(.init(id))
            return
        }
        snapshot.connectionsAccepted += 1
        links[id] = Link(socket: socket, peer: peer)
        logger.debug("register connection accepted", metadata: ["peer": "\(peer)", "connection": "\(id)"])
    }

    /// The peer's IP as workerman's `getRemoteIp()` prints it: no port, IPv6 without brackets.
    static func phpRemoteIP(_ address: SocketAddress?) -> String {
        guard let address else { return "" }
        let host = address.host
        return host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    // MARK: Connections

    private func serve(_ event: EventPoller.Event) {
        guard let link = links[event.token] else { return }  // dropped earlier in this batch
        if event.isWritable || (event.isHangUp && link.closeRequested) { flush(event.token) }
        guard let link = links[event.token], !link.closeRequested, event.isReadable || event.isHangUp else { return }
        switch link.socket.receive(into: &scratch) {
        case .received(let count):
            perform(registry.bytesReceived(scratch[..<count], from: .init(event.token)))
        case .wouldBlock:
            break
        case .endOfStream:
            drop(event.token, why: "closed by peer")
        case .failed(let code):
            drop(event.token, why: "receive failed (errno \(code))")
        }
    }

    /// Performs registry actions, and those that performing them produces, in order.
    private func perform(_ actions: [RegisterRegistry.Action]) {
        let draining = !pendingActions.isEmpty
        pendingActions += actions
        guard !draining else { return }  // an outer call is working through the queue
        var index = 0
        while index < pendingActions.count {
            let action = pendingActions[index]
            index += 1
            switch action {
            case .send(let bytes, let id):
                enqueue(bytes, to: id.rawValue)
            case .close(let id, let reason):
                requestClose(id.rawValue, reason: reason)
            case .gatewayRegistered(let id, let address):
                logger.info(
                    "gateway registered",
                    metadata: ["address": "\(address)", "peer": "\(links[id.rawValue]?.peer ?? "?")"])
            case .gatewayUnregistered:
                break  // logged by `drop`, which still knows the peer
            case .workerConnected(let id):
                logger.debug("worker connected", metadata: ["peer": "\(links[id.rawValue]?.peer ?? "?")"])
            }
        }
        pendingActions.removeAll(keepingCapacity: true)
    }

    /// Queues `bytes` and writes what the kernel takes. The queue is edited in place in the table (no
    /// copy of a local), and its sent prefix is dropped before appending, so it never holds more than
    /// `maxPendingOutputByteCount` bytes.
    private func enqueue(_ bytes: [UInt8], to id: UInt64) {
        guard let pending = links[id].flatMap({ $0.closeRequested ? nil : $0.pendingByteCount }) else { return }
        if pending + bytes.count > configuration.maxPendingOutputByteCount {
            snapshot.outputOverflows += 1
            notices.notice(
                "register connection does not read; closing it", peer: links[id]?.peer ?? "?", level: .warning,
                metadata: ["pending_bytes": "\(pending + bytes.count)"], now: nanoseconds(.now))
            drop(id, why: "output overflow")
            return
        }
        if pending == 0 {
            links[id]?.output = bytes
        } else {
            let sent = links[id]?.outputOffset ?? 0
            links[id]?.output.removeFirst(sent)
            links[id]?.output += bytes
        }
        links[id]?.outputOffset = 0
        flush(id)
    }

    private func requestClose(_ id: UInt64, reason: RegisterRegistry.CloseReason) {
        guard let link = links[id] else { return }
        // Keyed by reason, so one flood of bad lines does not hide an auth failure.
        notices.notice(
            "register closes a connection: \(Self.logKey(reason))", peer: link.peer,
            level: reason == .authTimeout ? .notice : .warning, metadata: ["reason": "\(reason)"],
            now: nanoseconds(.now))
        links[id]?.closeRequested = true
        flush(id)
        if links[id] != nil {
            links[id]?.flushDeadline = .now + configuration.closeFlushTimeout
            flushingCloses.insert(id)
        }
    }

    /// Writes queued output; finishes a requested close once the queue is empty; watches for
    /// writability while bytes remain.
    private func flush(_ id: UInt64) {
        guard var link = links[id] else { return }
        while link.pendingByteCount > 0 {
            switch link.socket.send(link.output[link.outputOffset...]) {
            case .sent(let count) where count > 0:
                link.outputOffset += count
            case .sent, .wouldBlock:
                links[id] = link
                updateInterest(id)
                return
            case .failed(let code):
                drop(id, why: "send failed (errno \(code))")
                return
            }
        }
        link.output = []
        link.outputOffset = 0
        links[id] = link
        if link.closeRequested {
            link.socket.discardPendingInput()
            drop(id, why: nil)
        } else {
            updateInterest(id)
        }
    }

    /// Watches for input unless a close was requested (level-triggered readiness for input that is no
    /// longer read would be reported forever), and for writability while output is queued.
    private func updateInterest(_ id: UInt64) {
        guard let link = links[id] else { return }
        var interest: EventPoller.Interest = link.closeRequested ? [] : .readable
        if link.pendingByteCount > 0 { interest.insert(.writable) }
        guard interest != link.watched else { return }
        do {
            try poller.modify(link.socket, token: id, interest: interest)
            links[id]?.watched = interest
        } catch {
            drop(id, why: "cannot watch (\(error))")
        }
    }

    /// Closes the socket now (queued output is lost) and tells the registry.
    private func drop(_ id: UInt64, why: String?) {
        guard let link = links.removeValue(forKey: id) else { return }
        flushingCloses.remove(id)
        link.socket.close()
        if let why { logger.debug("register connection closed", metadata: ["peer": "\(link.peer)", "why": "\(why)"]) }
        let actions = registry.connectionClosed(.init(id))
        for case .gatewayUnregistered(_, let address) in actions {
            logger.info("gateway unregistered", metadata: ["address": "\(address)", "peer": "\(link.peer)"])
        }
        perform(actions)
    }

    /// The reason without its peer-chosen part (an unknown event's name), so notices aggregate.
    private static func logKey(_ reason: RegisterRegistry.CloseReason) -> String {
        switch reason {
        case .unknownEvent: return "unknown event"
        case .secretMismatch: return "secret key does not match"
        default: return reason.description
        }
    }

    // MARK: Broadcasts

    /// Sends the coalesced list to the workers, at most once per `broadcastInterval`.
    private func broadcastIfDue(now: ContinuousClock.Instant) {
        guard registry.hasBroadcastPending, broadcastDue.map({ $0 <= now }) ?? true else { return }
        let actions = registry.pendingBroadcast()
        if !actions.isEmpty { lastBroadcast = now }
        perform(actions)
    }

    /// When the next broadcast may go out; nil: at once.
    private var broadcastDue: ContinuousClock.Instant? { lastBroadcast.map { $0 + configuration.broadcastInterval } }

    // MARK: Time and reporting

    /// Nanoseconds since the loop started, the clock of `notices`.
    private func nanoseconds(_ instant: ContinuousClock.Instant) -> UInt64 {
        let (seconds, attoseconds) = (instant - started).components
        return UInt64(clamping: seconds) &* 1_000_000_000 &+ UInt64(clamping: attoseconds / 1_000_000_000)
    }

    /// Until the next auth deadline, accept resumption, close-flush deadline, due broadcast or
    /// notice aggregate, rounded up to whole milliseconds; -1: none.
    private func waitMilliseconds(now: ContinuousClock.Instant) -> Int32 {
        let flushDeadline = flushingCloses.compactMap { links[$0]?.flushDeadline }.min()
        let broadcast = registry.hasBroadcastPending ? (broadcastDue ?? now) : nil
        let noticeFlush = notices.pendingCount > 0 ? now + .seconds(1) : nil
        let deadlines = [registry.nextDeadline, acceptResumes, flushDeadline, broadcast, noticeFlush]
        guard let next = deadlines.compactMap({ $0 }).min() else {
            return -1
        }
        guard next > now else { return 0 }
        let (seconds, attoseconds) = (next - now).components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    private func publishSnapshot() {
        snapshot.connections = links.count
        snapshot.pendingOutputBytes = links.values.reduce(0) { $0 + $1.pendingByteCount }
        snapshot.gatewaysRegistered = registry.gatewayCount
        snapshot.workersConnected = registry.workerCount
        snapshot.gatewayAddresses = registry.addresses.addresses
        snapshot.registry = registry.counters
        publish(snapshot)
    }
}

/// The loop belongs to its service thread.
@available(*, unavailable)
extension RegisterLoop: Sendable {}
