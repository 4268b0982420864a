import CLiburing
import Glibc
import Histogram

/// One generator process's connections, driven by its ring and by line commands on standard input
/// (`ControlCommand`); it answers on standard output (`ReportLine`). One thread, no locks.
public final class GeneratorEngine {
    let plan: GeneratorPlan
    let ring: ClientRing
    var connections: [GeneratorConnection]
    let messageFrame: [UInt8]
    let messageBytes: UnsafeMutableRawBufferPointer
    let upgradeBytes: UnsafeMutableRawBufferPointer
    let serverAddress: UnsafeMutablePointer<sockaddr_in>
    var running = true

    // Connect phase.
    var nextToOpen = 0
    var connectsInFlight = 0
    /// Connected and upgrading, 101 not yet seen. They count in the connect window with the connects: on
    /// loopback the kernel completes a connect at once, so a window of connects alone let the generators
    /// open connections as fast as they could, and a gateway that had to share its core fell behind and
    /// timed handshakes out (158,174 of 1,000,000 on a busy machine).
    var handshakesInFlight = 0
    var established = 0
    var connectFailures = 0
    var handshakeFailures = 0
    var closedByServer = 0
    /// Connections still connecting or handshaking when the connect phase's deadline passed: closed, so that
    /// what is reported as established is exactly what stays open.
    var timedOut = 0
    var connectTimedOut = false
    var connectDeadlineNanoseconds: UInt64 = 120_000_000_000
    var connectStart: UInt64 = 0
    var connectReported = true
    var lastProgress: UInt64 = 0
    var lastPeriodic: UInt64 = 0
    var firstErrno: Int32 = 0

    // Verification: connections whose verification echoes have all come back (counted once per connection).
    var verifiedReplies = 0
    var verifyDeadline: UInt64 = 0
    var verifyExpected = 0
    var verifyReplyPending = false

    // Echo.
    var echoInFlight = 0
    var echoRunning = false
    var sendTimes: [UInt64] = []
    var echoMessages = 0
    var latency = Histogram<UInt64>(
        lowestDiscernibleValue: 1_000, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    var sendFailures = 0

    // Broadcast rounds: deliveries per round number and the latest delivery time.
    var roundCounts: [Int] = Array(repeating: 0, count: 4096)
    var roundLast: [UInt64] = Array(repeating: 0, count: 4096)

    // Churn.
    var churnConcurrency = 0
    var churnDeadline: UInt64 = 0
    var churnCompleted = 0
    var churnFailed = 0
    var churnNextGlobal = 0
    var freeSlots: [UInt32] = []

    // Close.
    var closesInFlight = 0
    var closeReplyPending = false

    var controlBuffer: [UInt8] = []

    // Batched waits (`batch-wait`): off (0) unless a scenario asks; see ClientRing.submitAndWait.
    var batchWaitMicroseconds: UInt32 = 0
    let completionBatch: UInt32 = 4096

    public init(plan: GeneratorPlan) throws(GeneratorError) {
        self.plan = plan
        if plan.cpu >= 0 { _ = CLiburing_pin_current_thread(Int32(plan.cpu)) }
        let tableSize = UInt32(max(plan.connectionCount, 1))
        ring = try ClientRing(fileTableSize: tableSize)
        connections = Array(repeating: GeneratorConnection(), count: Int(tableSize))
        messageFrame = ClientWire.message(payloadSize: plan.messageSize, framing: plan.framing)
        messageBytes = .allocate(byteCount: messageFrame.count, alignment: 64)
        messageBytes.copyBytes(from: messageFrame)
        upgradeBytes = .allocate(byteCount: ClientWire.upgradeRequest.count, alignment: 64)
        upgradeBytes.copyBytes(from: ClientWire.upgradeRequest)
        serverAddress = .allocate(capacity: 1)
        serverAddress.initialize(to: sockaddr_in())
        serverAddress.pointee.sin_family = sa_family_t(AF_INET)
        serverAddress.pointee.sin_port = plan.serverPort.bigEndian
        serverAddress.pointee.sin_addr.s_addr = plan.serverAddress.bigEndian
    }

    deinit {
        messageBytes.deallocate()
        upgradeBytes.deallocate()
        serverAddress.deallocate()
    }

    /// Runs until `exit` arrives or standard input closes.
    public func run() {
        _ = fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK)
        ring.pollReadableMultishot(descriptor: 0, userData: userData(.control, slot: 0, generation: 0))
        report("ready", ["connections": plan.connectionCount])
        while running {
            openMoreConnections()
            ring.submitAndWait(
                timeoutNanoseconds: 20_000_000, batch: completionBatch, minimumWaitMicroseconds: batchWaitMicroseconds)
            let now = monotonicNanoseconds()
            _ = ring.drain { data, result, flags in handle(userData: data, result: result, flags: flags, now: now) }
            periodic(now: monotonicNanoseconds())
        }
    }

    // MARK: Completions

    @inline(__always)
    private func handle(userData data: UInt64, result: Int32, flags: UInt32, now: UInt64) {
        guard let kind = CompletionKind(rawValue: UInt8(truncatingIfNeeded: data >> 56)) else { return }
        let slot = Int(UInt32(truncatingIfNeeded: data))
        let generation = UInt32(truncatingIfNeeded: data >> 32) & 0xFF_FFFF
        switch kind {
        case .ignored: return
        case .control: return readControl(result: result, flags: flags)
        default: break
        }
        guard slot < connections.count, connections[slot].generation & 0xFF_FFFF == generation else {
            if flags & IORING_CQE_F_BUFFER != 0 { ring.recycle(id: UInt16(truncatingIfNeeded: flags >> 16)) }
            return
        }
        switch kind {
        case .connect: connectCompleted(slot: slot, result: result)
        case .receive: receiveCompleted(slot: slot, result: result, flags: flags, now: now)
        case .send: sendFailed(slot: slot, result: result)
        case .close: closeCompleted(slot: slot)
        case .ignored, .control: break
        }
    }

    private func connectCompleted(slot: Int, result: Int32) {
        connectsInFlight -= 1
        guard connections[slot].phase == .connecting else { return }
        if connectTimedOut, churnConcurrency == 0 {
            timedOut += 1
            return close(slot: slot)
        }
        guard result == 0 else {
            connectFailures += 1
            if firstErrno == 0 { firstErrno = -result }
            if churnConcurrency > 0 { churnFailed += 1 }
            return close(slot: slot)
        }
        let generation = connections[slot].generation
        ring.receiveMultishot(
            slot: UInt32(slot), userData: userData(.receive, slot: UInt32(slot), generation: generation))
        if plan.framing == .websocket {
            connections[slot].phase = .handshaking
            handshakesInFlight += 1
            ring.send(
                slot: UInt32(slot), bytes: upgradeBytes.baseAddress!, count: upgradeBytes.count,
                userData: userData(.send, slot: UInt32(slot), generation: generation))
        } else {
            becameOpen(slot: slot)
        }
    }

    private func becameOpen(slot: Int) {
        if connections[slot].phase == .handshaking { handshakesInFlight -= 1 }
        connections[slot].phase = .open
        if churnConcurrency > 0 {
            churnCompleted += 1
            return close(slot: slot)
        }
        established += 1
        if plan.verifyOnEstablish { sendVerification(slot: slot) }
        if echoRunning { startEcho(slot: slot, now: monotonicNanoseconds()) }
    }

    private func receiveCompleted(slot: Int, result: Int32, flags: UInt32, now: UInt64) {
        let hasBuffer = flags & IORING_CQE_F_BUFFER != 0
        let bufferID = UInt16(truncatingIfNeeded: flags >> 16)
        if result > 0, hasBuffer {
            let bytes = ring.receivedBytes(id: bufferID, count: Int(result))
            var stream = connections[slot].stream
            stream.consume(bytes, framing: plan.framing, messageSize: messageFrame.count) { event in
                streamEvent(event, slot: slot, now: now)
            }
            // A close inside the event handler reset the slot; keep that state.
            if connections[slot].phase != .free && connections[slot].phase != .closing {
                connections[slot].stream = stream
            }
            ring.recycle(id: bufferID)
        } else if hasBuffer {
            ring.recycle(id: bufferID)
        }
        guard flags & IORING_CQE_F_MORE == 0 else { return }
        let phase = connections[slot].phase
        if result == -ENOBUFS, phase == .open || phase == .handshaking {
            // The buffer ring ran dry for a moment: not the server's doing, re-arm.
            let generation = connections[slot].generation
            ring.receiveMultishot(
                slot: UInt32(slot), userData: userData(.receive, slot: UInt32(slot), generation: generation))
            return
        }
        guard phase == .open || phase == .handshaking else { return }
        // The server closed (0) or the connection failed: count it once, then release the slot.
        if phase == .handshaking { handshakeFailures += 1 } else { closedByServer += 1 }
        if phase == .open, churnConcurrency == 0 { established -= 1 }
        close(slot: slot)
    }

    @inline(__always)
    private func streamEvent(_ event: ServerStream.Event, slot: Int, now: UInt64) {
        switch event {
        case .handshakeCompleted:
            becameOpen(slot: slot)
        case .handshakeFailed:
            handshakeFailures += 1
            close(slot: slot)
        case .message(let prefix, let prefixLength):
            if connections[slot].awaitingReplies > 0 {
                connections[slot].awaitingReplies -= 1
                // A late echo of the establish-time check may still be due when `verify` adds another: the
                // connection counts once, when all of its checks have come back.
                if connections[slot].awaitingReplies == 0 { verifiedReplies += 1 }
            } else if connections[slot].inFlight > 0 {
                echoReply(slot: slot, now: now)
            } else {
                connections[slot].unsolicited &+= 1
                countDelivery(
                    round: Self.roundNumber(prefix: prefix, length: prefixLength)
                        ?? Int(connections[slot].unsolicited),
                    now: now)
            }
        case .closeFrame, .ping:
            break
        }
    }

    /// A broadcast payload that starts with eight ASCII digits names its round; others count in order.
    static func roundNumber(prefix: UInt64, length: UInt8) -> Int? {
        guard length == 8 else { return nil }
        var value = 0
        for index in 0..<8 {
            let digit = Int((prefix >> (8 * UInt64(index))) & 0xFF) - 48
            guard digit >= 0, digit <= 9 else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    @inline(__always)
    private func countDelivery(round: Int, now: UInt64) {
        guard round >= 0, round < roundCounts.count else { return }
        roundCounts[round] += 1
        if now > roundLast[round] { roundLast[round] = now }
    }

    private func sendFailed(slot: Int, result: Int32) {
        sendFailures += 1
        if firstErrno == 0 { firstErrno = -result }
    }

    private func closeCompleted(slot: Int) {
        closesInFlight -= 1
        connections[slot].phase = .free
        if churnConcurrency > 0 { freeSlots.append(UInt32(slot)) }
    }

    /// Cancels the receive and closes the slot (an RST, SO_LINGER 0).
    func close(slot: Int) {
        guard connections[slot].phase != .closing, connections[slot].phase != .free else { return }
        if connections[slot].phase == .handshaking { handshakesInFlight -= 1 }
        let generation = connections[slot].generation
        connections[slot].phase = .closing
        connections[slot].inFlight = 0
        connections[slot].awaitingReplies = 0
        closesInFlight += 1
        ring.cancelAndClose(
            slot: UInt32(slot), receiveUserData: userData(.receive, slot: UInt32(slot), generation: generation),
            closeUserData: userData(.close, slot: UInt32(slot), generation: generation))
    }

    // MARK: Sending

    @inline(__always)
    func sendMessage(slot: Int) {
        ring.send(
            slot: UInt32(slot), bytes: messageBytes.baseAddress!, count: messageBytes.count,
            userData: userData(.send, slot: UInt32(slot), generation: connections[slot].generation))
    }

    func sendVerification(slot: Int) {
        connections[slot].awaitingReplies += 1
        sendMessage(slot: slot)
    }

    func startEcho(slot: Int, now: UInt64) {
        guard connections[slot].phase == .open else { return }
        while Int(connections[slot].inFlight) < echoInFlight { sendEcho(slot: slot, now: now) }
    }

    @inline(__always)
    private func sendEcho(slot: Int, now: UInt64) {
        let index = Int(connections[slot].sendIndex % UInt32(echoInFlight))
        sendTimes[slot * echoInFlight + index] = now
        connections[slot].sendIndex &+= 1
        connections[slot].inFlight += 1
        sendMessage(slot: slot)
    }

    @inline(__always)
    private func echoReply(slot: Int, now: UInt64) {
        let index = Int(connections[slot].replyIndex % UInt32(echoInFlight))
        let sent = sendTimes[slot * echoInFlight + index]
        connections[slot].replyIndex &+= 1
        connections[slot].inFlight -= 1
        echoMessages += 1
        _ = latency.record(now > sent ? now - sent : 0)
        if echoRunning { sendEcho(slot: slot, now: now) }
    }
}
