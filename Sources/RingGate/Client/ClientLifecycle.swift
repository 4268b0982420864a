import Glibc

/// The lifecycle of one client connection, from accept to the completion of its close.
///
/// It owns no descriptor and calls nothing: it is told what completed and answers with the action to
/// perform, so tests drive it with plain values. Its one invariant: the table slot is closed only once
/// no operation on it is in flight, because a completion for a closed slot could otherwise reach the
/// connection that reuses it.
struct ClientLifecycle: Equatable {
    enum Phase: UInt8, Equatable {
        /// Accepted; the SO_PEERNAME lookup is in flight.
        case resolvingPeer
        /// Reading and writing.
        case open
        /// Graceful close: no more reads are delivered, queued output is flushed first.
        case draining
        /// Live takeover: the receive and any send are being cancelled; bytes already received are still
        /// delivered, output is queued but not sent.
        case pausing
        /// Live takeover: nothing in flight; the connection can be handed to another process (or resumed).
        case paused
        /// Waiting for in-flight operations before the slot is closed.
        case closing
        /// The close was submitted; the slot is free once it completes.
        case closed
    }

    enum Action: Equatable {
        case none
        case armReceive
        case submitShutdown
        /// Cancel every operation still in flight on the socket (the shutdown that should have ended
        /// them failed).
        case cancelAll
        /// Cancel the armed receive alone (a takeover pause with no send in flight): found by its own
        /// user_data, where a cancel by descriptor makes the kernel scan every armed request of the ring —
        /// quadratic when a shard pauses all its clients (4 s for 16.6k).
        case cancelReceive
        case submitClose
    }

    enum ReceiveAction: Equatable {
        /// Bytes for an open connection: decode them; `rearm` when the multishot receive ended anyway.
        case deliver(rearm: Bool)
        /// Bytes or an end for a connection that is going away: drop them, then perform `then`.
        case discard(then: Action)
        /// The buffer ring ran dry (-ENOBUFS): not the peer's fault; re-arm once buffers return.
        case rearmWhenBuffersReturn
        /// EOF or a socket error while open: the caller closes the connection.
        case peerGone
    }

    enum SendAction: Equatable {
        /// Advance the queue by the bytes sent and send the rest.
        case advance
        /// The send failed (-EPIPE, -ECONNRESET): the caller closes without flushing.
        case failed
        /// The connection is closing; perform `then`.
        case settled(then: Action)
    }

    private(set) var phase: Phase
    private(set) var receiveArmed = false
    private(set) var sendInFlight = false
    private(set) var auxiliaryInFlight: UInt8

    /// A connection just accepted; `resolvingPeer` when its peer-name lookup was submitted.
    init(resolvingPeer: Bool) {
        phase = resolvingPeer ? .resolvingPeer : .open
        auxiliaryInFlight = resolvingPeer ? 1 : 0
    }

    var isOpen: Bool { phase == .open }
    /// New output is taken while open; once a graceful close began, later sends fail as workerman's do
    /// for a closing connection (a kick's message goes out, a reply sent after it does not). A paused
    /// connection takes output too: it is queued and travels with the connection to the new process.
    var acceptsOutput: Bool { phase == .open || phase == .resolvingPeer || phase == .pausing || phase == .paused }
    /// Received bytes are decoded (while pausing too: they were read from the socket and would be lost).
    var deliversInput: Bool { phase == .open || phase == .pausing }
    /// Sends may be submitted.
    var sends: Bool { phase == .open || phase == .resolvingPeer || phase == .draining }
    private var idle: Bool { !receiveArmed && !sendInFlight && auxiliaryInFlight == 0 }
    /// Paused with nothing in flight: the socket can be handed over.
    var isPaused: Bool { phase == .paused }

    mutating func peerResolved() -> Action {
        auxiliaryInFlight -= 1
        switch phase {
        case .resolvingPeer:
            phase = .open
            return .armReceive
        case .closing:
            return idle ? closeNow() : .none
        default:
            return .none
        }
    }

    mutating func receiveSubmitted() {
        precondition(!receiveArmed, "two multishot receives on one connection")
        receiveArmed = true
    }

    mutating func receiveCompleted(result: Int32, hasMore: Bool, noBuffers: Bool) -> ReceiveAction {
        if !hasMore { receiveArmed = false }
        switch phase {
        case .open:
            if result > 0 { return .deliver(rearm: !hasMore) }
            if noBuffers { return .rearmWhenBuffersReturn }
            return .peerGone
        case .draining:
            return .discard(then: .none)
        case .pausing:
            settlePause()
            if result > 0 { return .deliver(rearm: false) }
            if result == 0 || (result != -ECANCELED && !noBuffers) { return .peerGone }
            return .discard(then: .none)
        case .closing:
            return .discard(then: idle ? closeNow() : .none)
        case .resolvingPeer, .closed, .paused:
            preconditionFailure("receive completion in phase \(phase)")
        }
    }

    mutating func sendSubmitted() {
        precondition(!sendInFlight, "two sends in flight on one connection")
        sendInFlight = true
    }

    mutating func sendCompleted(result: Int32) -> SendAction {
        precondition(sendInFlight, "send completion without a send in flight")
        sendInFlight = false
        switch phase {
        case .open, .draining, .resolvingPeer:
            return result < 0 ? .failed : .advance
        case .pausing:
            // A cancelled send sent nothing (-ECANCELED): the queue keeps it.
            if result < 0 && result != -ECANCELED { return .failed }
            settlePause()
            return .advance
        case .closing:
            return .settled(then: idle ? closeNow() : .none)
        case .closed, .paused:
            preconditionFailure("send completion in phase \(phase)")
        }
    }

    /// Stop delivering input and close once the caller's queue is flushed (`queueDrained`). A client paused
    /// for a takeover that a worker kicks meanwhile is drained too: its last message goes out from here and
    /// it closes before the shard is exported (the export waits for it).
    mutating func drain() {
        if phase == .open || phase == .resolvingPeer || phase == .pausing || phase == .paused { phase = .draining }
    }

    /// The caller's send queue became empty while draining.
    mutating func queueDrained() -> Action {
        phase == .draining ? abort() : .none
    }

    /// Close now, dropping whatever was not yet handed to the kernel. An armed receive or a send
    /// blocked on a peer that does not read would hold the socket open forever, so both are ended with
    /// shutdown(SHUT_RDWR) first (EOF for the receive, EPIPE for the send).
    mutating func abort() -> Action {
        switch phase {
        case .closing, .closed:
            return .none
        case .resolvingPeer, .open, .draining, .pausing, .paused:
            phase = .closing
            if receiveArmed || sendInFlight {
                auxiliaryInFlight += 1
                return .submitShutdown
            }
            return idle ? closeNow() : .none
        }
    }

    mutating func shutdownCompleted(result: Int32) -> Action {
        auxiliaryInFlight -= 1
        if result < 0 && (receiveArmed || sendInFlight) {
            auxiliaryInFlight += 1
            return .cancelAll
        }
        return idle && phase == .closing ? closeNow() : .none
    }

    mutating func cancelCompleted() -> Action {
        auxiliaryInFlight -= 1
        settlePause()
        return idle && phase == .closing ? closeNow() : .none
    }

    // MARK: Live takeover

    /// Stops an open connection's I/O so that its socket can be handed to another process: the armed
    /// receive and a send in flight are cancelled (`cancelAll`); bytes they already read are delivered.
    mutating func pause() -> Action {
        guard phase == .open else { return .none }
        phase = .pausing
        guard receiveArmed || sendInFlight else {
            phase = .paused
            return .none
        }
        auxiliaryInFlight += 1
        return sendInFlight ? .cancelAll : .cancelReceive
    }

    /// The takeover was abandoned: a paused connection is served again (its receive re-armed).
    mutating func resume() -> Action {
        guard phase == .paused else { return .none }
        phase = .open
        return .armReceive
    }

    /// The connection now belongs to another process: its slot is closed here (no shutdown: the other
    /// process holds the socket and goes on using it).
    mutating func handedOver() -> Action {
        guard phase == .paused else { return .none }
        return closeNow()
    }

    /// A connection adopted from another process: open, nothing in flight yet.
    static var adopted: ClientLifecycle {
        var lifecycle = ClientLifecycle(resolvingPeer: false)
        lifecycle.phase = .open
        return lifecycle
    }

    private mutating func settlePause() {
        if phase == .pausing && idle { phase = .paused }
    }

    private mutating func closeNow() -> Action {
        phase = .closed
        return .submitClose
    }
}
