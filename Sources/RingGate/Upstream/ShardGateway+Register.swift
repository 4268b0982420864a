import Glibc
import Logging
import RingGateCodecs
import RingGateRuntime

/// The shard's Register links (spec §6), on the upstream ring.
extension ShardGateway {
    private func tag(_ kind: OperationKind, _ link: Int) -> CompletionTag {
        CompletionTag(kind: kind, generation: registerLinks[link].epoch, slot: UInt32(link))
    }

    /// Starts a connection attempt: a direct socket, then connect.
    func connectRegister(_ link: Int) {
        registerLinks[link].epoch = (registerLinks[link].epoch &+ 1) & 0xFF_FFFF
        registerLinks[link].state = .creatingSocket
        io.ring.socketDirect(family: registerLinks[link].address.family, tag: tag(.socket, link))
    }

    func registerCompleted(_ completion: Completion, on shard: ClientShard) {
        let link = Int(completion.tag.slot)
        let current = completion.tag.generation == registerLinks[link].epoch
        switch completion.tag.kind {
        case .socket:
            guard completion.result >= 0 else {
                registerAttemptFailed(link, errno: -completion.result, on: shard)
                return
            }
            let fileIndex = UInt32(completion.result)
            registerLinks[link].state = .connecting(fileIndex: fileIndex)
            if !staysInCluster {
                closeRegister(link, retry: false)
            } else if !io.connect(fileIndex: fileIndex, to: registerLinks[link].address, tag: tag(.connect, link)) {
                closeRegister(link, retry: true)
            }
        case .connect:
            io.connectCompleted(completion)
            guard current, case .connecting = registerLinks[link].state else { return }
            if completion.result < 0 {
                registerAttemptFailed(link, errno: -completion.result, on: shard)
            } else {
                registerConnected(link, on: shard)
            }
        case .registerSend:
            if let chunk = registerLinks[link].sending { chunks.release(chunk) }
            registerLinks[link].sending = nil
            if completion.result < 0 && current, case .connected = registerLinks[link].state {
                registerLost(link, reason: "send failed (errno \(-completion.result))")
            }
        case .registerReceive:
            if !completion.hasMore { registerLinks[link].receiveArmed = false }
            guard current, case .connected = registerLinks[link].state else {
                io.discardReceivedBuffer(completion)
                return
            }
            if completion.result > 0 {
                registerSentUnexpectedBytes(link, completion)  // may close the link
            } else {
                io.discardReceivedBuffer(completion)
            }
            guard case .connected(let fileIndex) = registerLinks[link].state else { return }
            if completion.result == -ENOBUFS || (completion.result > 0 && !completion.hasMore) {
                armRegisterReceive(link, fileIndex: fileIndex)  // keep watching for EOF
            } else if completion.result <= 0 {
                registerLost(
                    link, reason: completion.result == 0 ? "closed by the Register" : "errno \(-completion.result)")
            }
        case .registerShutdown:
            if case .closing(let fileIndex, _) = registerLinks[link].state {
                io.ring.closeDirect(fileIndex: fileIndex, tag: tag(.registerClose, link))
            }
        case .registerClose:
            guard case .closing(_, let retry) = registerLinks[link].state else { return }
            if retry && staysInCluster {
                registerLinks[link].state = .waitingRetry
                shard.schedule(tag(.registerRetryTimer, link), afterNanoseconds: configuration.registerRetryNanoseconds)
            } else {
                registerLinks[link].state = .idle
            }
        default:
            break
        }
    }

    /// The Register never writes to gateways: what it sends is counted and dropped, logged once per
    /// connection, and 10 MiB without a newline closes the link as PHP's `text://` connection does (a
    /// new one follows in 1 s).
    private func registerSentUnexpectedBytes(_ link: Int, _ completion: Completion) {
        let count = Int(completion.result)
        let lastNewline = io.withReceivedBytes(completion) { bytes -> Int? in
            var index = bytes.count - 1
            while index >= 0 {
                if bytes[index] == UInt8(ascii: "\n") { return index }
                index -= 1
            }
            return nil
        }
        counters.registerUnexpectedBytes &+= UInt64(count)
        if registerLinks[link].unexpectedBytesLogged == false {
            registerLinks[link].unexpectedBytesLogged = true
            logger.notice(
                "the Register sent data to this gateway, which it never should; dropped",
                metadata: ["register": "\(registerLinks[link].address)", "bytes": "\(count)"])
        }
        if let lastNewline {
            registerLinks[link].unterminatedBytes = count - lastNewline - 1
        } else {
            registerLinks[link].unterminatedBytes += count
        }
        if registerLinks[link].unterminatedBytes >= Self.registerLineLimit {
            registerLost(link, reason: "10 MiB from the Register without a newline")
        }
    }

    /// workerman's `TcpConnection::$defaultMaxPackageSize`, the limit of PHP's `text://` Register link.
    static let registerLineLimit = 10 * 1_024 * 1_024

    private func registerConnected(_ link: Int, on shard: ClientShard) {
        guard case .connecting(let fileIndex) = registerLinks[link].state else { return }
        registerLinks[link].state = .connected(fileIndex: fileIndex)
        registerLinks[link].unterminatedBytes = 0
        registerLinks[link].unexpectedBytesLogged = false
        registerLinks[link].failures = 0
        counters.registerConnects += 1
        counters.registerConnected += 1
        // Registered only once the inner port listens (it does since start), with the exact address
        // encoded into client_ids.
        sendRegisterLine(
            link, RegisterMessage.gatewayConnect(address: innerAddress.description, secretKey: configuration.secretKey))
        armRegisterReceive(link, fileIndex: fileIndex)
        logger.info(
            "registered with the Register",
            metadata: ["register": "\(registerLinks[link].address)", "address": "\(innerAddress)"])
        if registerLinks[link].pings {
            shard.schedule(tag(.registerPingTimer, link), afterNanoseconds: configuration.keepaliveNanoseconds)
        }
    }

    private func armRegisterReceive(_ link: Int, fileIndex: UInt32) {
        guard !registerLinks[link].receiveArmed else { return }
        registerLinks[link].receiveArmed = true
        io.ring.receiveMultishot(
            fileIndex: fileIndex, bufferGroup: io.receiveBuffers.groupID, tag: tag(.registerReceive, link))
    }

    private func sendRegisterLine(_ link: Int, _ message: RegisterMessage) {
        guard registerLinks[link].sending == nil, case .connected(let fileIndex) = registerLinks[link].state else {
            return
        }
        let line = message.encodedLine
        // Out of memory: the line is not sent; the Register's auth deadline or the next ping retries.
        guard let chunk = chunks.tryAllocate(capacity: line.count) else { return }
        chunks.write(line.span, to: chunk, at: 0)
        registerLinks[link].sending = chunk
        io.send(chunk, range: 0..<line.count, fileIndex: fileIndex, tag: tag(.registerSend, link))
    }

    private func registerAttemptFailed(_ link: Int, errno: Int32, on shard: ClientShard) {
        counters.registerFailures += 1
        registerLinks[link].failures += 1
        let metadata: Logger.Metadata = ["register": "\(registerLinks[link].address)", "errno": "\(errno)"]
        if registerLinks[link].failures == 1 {
            logger.warning("cannot reach the Register; retrying every second", metadata: metadata)
        } else {
            logger.debug("cannot reach the Register", metadata: metadata)
        }
        if registerLinks[link].fileIndex != nil {
            closeRegister(link, retry: true)
        } else if staysInCluster {
            registerLinks[link].state = .waitingRetry
            shard.schedule(tag(.registerRetryTimer, link), afterNanoseconds: configuration.registerRetryNanoseconds)
        } else {
            registerLinks[link].state = .idle
        }
    }

    private func registerLost(_ link: Int, reason: String) {
        counters.registerFailures += 1
        logger.warning(
            "lost the Register connection; reconnecting in 1 s",
            metadata: ["register": "\(registerLinks[link].address)", "reason": "\(reason)"])
        closeRegister(link, retry: true)
    }

    /// Shuts the socket down (ending the armed receive) and closes it; with `retry`, a new attempt
    /// follows after the retry delay.
    func closeRegister(_ link: Int, retry: Bool) {
        switch registerLinks[link].state {
        case .connected(let fileIndex), .connecting(let fileIndex):
            if case .connected = registerLinks[link].state { counters.registerConnected -= 1 }
            registerLinks[link].state = .closing(fileIndex: fileIndex, retry: retry)
            io.ring.shutdown(fileIndex: fileIndex, tag: tag(.registerShutdown, link))
        case .waitingRetry:
            if !retry { registerLinks[link].state = .idle }
        case .creatingSocket, .closing, .idle:
            break
        }
    }

    func registerTimerFired(_ timer: CompletionTag, on shard: ClientShard) {
        let link = Int(timer.slot)
        guard link < registerLinks.count, timer.generation == registerLinks[link].epoch else { return }
        switch timer.kind {
        case .registerRetryTimer:
            if staysInCluster, registerLinks[link].state == .waitingRetry { connectRegister(link) }
        case .registerPingTimer:
            guard case .connected = registerLinks[link].state, staysInCluster else { return }
            sendRegisterLine(link, .ping)
            shard.schedule(timer, afterNanoseconds: configuration.keepaliveNanoseconds)
        default:
            break
        }
    }
}
