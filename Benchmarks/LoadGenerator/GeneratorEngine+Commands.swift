import CLiburing
import Glibc

extension GeneratorEngine {
    // MARK: Opening connections

    /// Opens as many connections as the connect window allows: hold phases fill slots in order, churn
    /// reuses freed slots. Sockets are made and bound with ordinary calls (IP_BIND_ADDRESS_NO_PORT: the
    /// port is picked at connect time per 4-tuple), moved into the ring's table in one update per run of
    /// slots, and their ordinary descriptors closed.
    func openMoreConnections() {
        var budget = plan.connectWindow - connectsInFlight - handshakesInFlight
        guard budget > 0 else { return }
        if churnConcurrency > 0 {
            guard monotonicNanoseconds() < churnDeadline else { return }
            while budget > 0, let slot = freeSlots.popLast() {
                guard open(slots: Int(slot)..<Int(slot) + 1, globalIndexBase: churnNextGlobal) else { return }
                churnNextGlobal += 1
                budget -= 1
            }
            return
        }
        guard nextToOpen < plan.connectionCount, !connectReported else { return }
        let count = min(budget, plan.connectionCount - nextToOpen, 256)
        if open(slots: nextToOpen..<nextToOpen + count, globalIndexBase: plan.firstGlobalIndex + nextToOpen) {
            nextToOpen += count
        }
    }

    /// Creates, binds and installs sockets for `slots` and submits their connects.
    private func open(slots: Range<Int>, globalIndexBase: Int) -> Bool {
        var descriptors = [Int32](repeating: -1, count: slots.count)
        for (offset, _) in slots.enumerated() {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                reportError("socket", errno: errno)
                descriptors.forEach { if $0 >= 0 { Glibc.close($0) } }
                return false
            }
            descriptors[offset] = fd
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IP), IP_BIND_ADDRESS_NO_PORT, &one, socklen_t(4))
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(4))
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            var source = sockaddr_in()
            source.sin_family = sa_family_t(AF_INET)
            source.sin_addr.s_addr = plan.sourceAddress(globalIndex: globalIndexBase + offset).bigEndian
            let bound = withUnsafePointer(to: &source) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if bound != 0 {
                reportError("bind(source address)", errno: errno)
                descriptors.forEach { if $0 >= 0 { Glibc.close($0) } }
                return false
            }
        }
        do {
            try descriptors.withUnsafeMutableBufferPointer { buffer throws(GeneratorError) in
                try ring.install(descriptors: buffer.baseAddress!, count: buffer.count, at: UInt32(slots.lowerBound))
            }
        } catch {
            writeError("generator: \(error)")
            report("error", ["errno": Int(error.errno)])
            descriptors.forEach { Glibc.close($0) }
            return false
        }
        descriptors.forEach { Glibc.close($0) }
        for slot in slots {
            connections[slot].generation &+= 1
            let generation = connections[slot].generation
            connections[slot] = GeneratorConnection()
            connections[slot].generation = generation
            connections[slot].stream = ServerStream(framing: plan.framing)
            connections[slot].phase = .connecting
            connectsInFlight += 1
            ring.connect(
                slot: UInt32(slot), address: serverAddress,
                userData: userData(.connect, slot: UInt32(slot), generation: generation))
        }
        return true
    }

    // MARK: Timers

    func periodic(now: UInt64) {
        // At most every 5 ms, not every loop turn (the churn check below scans the table).
        guard now - lastPeriodic > 5_000_000 else { return }
        lastPeriodic = now
        if !connectReported {
            let settled = connectFailures + handshakeFailures + established + closedByServer
            let handshaking = handshakesInFlight
            let verifying = plan.verifyOnEstablish && verifiedReplies < established
            let done = nextToOpen >= plan.connectionCount && connectsInFlight == 0 && handshaking == 0 && !verifying
            let pastDeadline = now - connectStart > connectDeadlineNanoseconds
            if done || pastDeadline || settled >= plan.connectionCount && !verifying {
                connectReported = true
                if pastDeadline { abandonUnfinishedConnects() }
                report(
                    "connected",
                    [
                        "established": established, "connect_failures": connectFailures,
                        "handshake_failures": handshakeFailures, "timed_out": timedOut,
                        "still_connecting": connectsInFlight, "closed": closedByServer,
                        "verified": verifiedReplies, "elapsed_ns": Int(now - connectStart),
                        "errno": Int(firstErrno),
                    ])
            } else if now - lastProgress > 250_000_000 {
                lastProgress = now
                report(
                    "progress",
                    [
                        "established": established, "failed": connectFailures + handshakeFailures,
                        "verified": verifiedReplies,
                    ])
            }
        }
        if verifyReplyPending {
            let outstanding = connections.reduce(0) { $0 + Int($1.awaitingReplies) }
            if outstanding == 0 || now > verifyDeadline {
                verifyReplyPending = false
                let open = connections.lazy.filter { $0.phase == .open }.count
                report(
                    "verified",
                    ["ok": verifiedReplies, "expected": verifyExpected, "missing": outstanding, "open": open])
            }
        }
        if churnConcurrency > 0, now >= churnDeadline, connectsInFlight == 0 {
            let busy = connections.lazy.filter { $0.phase == .handshaking || $0.phase == .open }.count
            if busy == 0 && closesInFlight == 0 {
                report(
                    "churned",
                    ["completed": churnCompleted, "failed": churnFailed + handshakeFailures, "errno": Int(firstErrno)])
                churnConcurrency = 0
            }
        }
        if closeReplyPending, closesInFlight == 0 {
            closeReplyPending = false
            report("closed", ["open": connections.lazy.filter { $0.phase != .free }.count])
        }
    }

    /// The connect phase's deadline passed: handshakes still running are closed and counted as timed out, and
    /// connects still in flight are closed as they complete (`connectCompleted`). Nothing established after the
    /// report can make the end-of-hold verification count more connections than were reported.
    private func abandonUnfinishedConnects() {
        connectTimedOut = true
        for slot in connections.indices where connections[slot].phase == .handshaking {
            timedOut += 1
            close(slot: slot)
        }
    }

    // MARK: Control

    func readControl(result: Int32, flags: UInt32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if count == 0 {
                running = false
                return
            }
            if count < 0 { break }
            controlBuffer += buffer[0..<count]
        }
        while let newline = controlBuffer.firstIndex(of: 10) {
            let line = String(decoding: controlBuffer[..<newline], as: UTF8.self)
            controlBuffer.removeSubrange(...newline)
            execute(line)
        }
        if flags & IORING_CQE_F_MORE == 0 {
            ring.pollReadableMultishot(descriptor: 0, userData: userData(.control, slot: 0, generation: 0))
        }
    }

    func execute(_ line: String) {
        let words = line.split(separator: " ").map(String.init)
        guard let command = words.first else { return }
        let argument = { (index: Int) -> Int in words.count > index ? Int(words[index]) ?? 0 : 0 }
        switch command {
        case "connect":
            // `connect [seconds]`: how long the connect phase may take (120 s unless given).
            connectDeadlineNanoseconds = UInt64(argument(1) > 0 ? argument(1) : 120) * 1_000_000_000
            // After a `close`, `connect` opens the same slots again (the soak's churn share reconnects).
            if nextToOpen >= plan.connectionCount, connections.allSatisfy({ $0.phase == .free }) { nextToOpen = 0 }
            connectStart = monotonicNanoseconds()
            lastProgress = connectStart
            connectReported = false
            connectTimedOut = false
        case "verify":
            verifiedReplies = 0  // connections, counted as each one's checks have all come back
            verifyExpected = 0
            for slot in connections.indices where connections[slot].phase == .open {
                sendVerification(slot: slot)
                verifyExpected += 1
            }
            verifyDeadline = monotonicNanoseconds() + UInt64(max(argument(1), 100)) * 1_000_000
            verifyReplyPending = true
        case "echo":
            echoInFlight = max(1, argument(1))
            sendTimes = Array(repeating: 0, count: connections.count * echoInFlight)
            echoRunning = true
            let now = monotonicNanoseconds()
            for slot in connections.indices where connections[slot].inFlight == 0 {
                connections[slot].sendIndex = 0
                connections[slot].replyIndex = 0
                startEcho(slot: slot, now: now)
            }
            report("ok", [:])
        case "quiet":
            echoRunning = false
            report("ok", [:])
        case "reset":
            echoMessages = 0
            sendFailures = 0
            latency.reset()
            roundCounts = Array(repeating: 0, count: roundCounts.count)
            roundLast = Array(repeating: 0, count: roundLast.count)
            for slot in connections.indices { connections[slot].unsolicited = 0 }
            report("ok", [:])
        case "stats":
            reportStats()
        case "rounds":
            // `rounds [n]`: receipts and last receipt time of round n, or of every round seen since `reset`.
            let asked =
                words.count > 1 ? [argument(1)].filter(roundCounts.indices.contains) : Array(roundCounts.indices)
            var fields: [String: Int] = [:]
            for round in asked where roundCounts[round] > 0 {
                fields["r\(round)"] = roundCounts[round]
                fields["t\(round)"] = Int(roundLast[round])
            }
            report("rounds", fields)
        case "churn":
            churnConcurrency = max(1, argument(1))
            churnDeadline = monotonicNanoseconds() + UInt64(max(argument(2), 1)) * 1_000_000
            churnCompleted = 0
            churnFailed = 0
            handshakeFailures = 0
            churnNextGlobal = plan.firstGlobalIndex
            freeSlots = (0..<UInt32(min(churnConcurrency, connections.count))).reversed().filter {
                connections[Int($0)].phase == .free
            }
        case "close":
            for slot in connections.indices { close(slot: slot) }
            established = 0
            closeReplyPending = true
        case "batch-wait":
            // `batch-wait µs`: wait for a batch of completions at most this long (0: wake on each one).
            batchWaitMicroseconds = UInt32(clamping: argument(1))
            report("ok", ["supported": ring.supportsMinimumWait ? 1 : 0])
        case "exit":
            running = false
        default:
            report("error", ["unknown_command": 1])
        }
    }

    func reportStats() {
        let open = connections.lazy.filter { $0.phase == .open }.count
        report(
            "stats",
            [
                "messages": echoMessages, "open": open, "closed": closedByServer, "send_failures": sendFailures,
                "errno": Int(firstErrno),
            ])
        var lines = ""
        for value in latency.recordedValues() { lines += "h \(value.value) \(value.count)\n" }
        lines += "end\n"
        writeOut(lines)
    }

    func report(_ word: String, _ fields: [String: Int]) {
        writeOut(ReportLine(word: word, fields: fields).text + "\n")
    }

    func reportError(_ operation: String, errno code: Int32) {
        if firstErrno == 0 { firstErrno = code }
        writeError("generator: \(operation): \(String(cString: strerror(code)))")
        report("error", ["errno": Int(code), "\(operation.filter { $0.isLetter })": 1])
    }

    private func writeError(_ text: String) {
        let bytes = Array((text + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    private func writeOut(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            offset += written
        }
    }
}
