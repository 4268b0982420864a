import RingGateCodecs
import RingGateRuntime
import RingGateTLS

/// A TLS client's record state beside its table entry: the session, and the ciphertext on its way out.
/// Ciphertext being sent (`inFlight`) is never appended to (the kernel reads it); what OpenSSL writes
/// meanwhile goes to `pending`, sent next.
struct TLSClientState {
    var session: TLSSession
    var inFlight: Chunk?
    var inFlightOffset = 0
    var pending: Chunk?
    /// A graceful close queued its close_notify alert.
    var closeNotifyQueued = false

    init(session: TLSSession) { self.session = session }
}

extension ClientShard {
    /// Ciphertext a TLS client may have encrypted ahead of the kernel: plaintext beyond it waits in the
    /// send queue (counted against the send queue limit as for plain clients).
    static let tlsCiphertextAhead = 64 << 10
    /// Pending ciphertext beyond which a TLS client is closed: what OpenSSL answers on its own (alerts,
    /// key updates, tickets) to a peer that sends and never reads must not pile up without end.
    static let tlsPendingLimit = 4 * tlsCiphertextAhead
    /// What one TLS session is counted as against the memory budget (OpenSSL 3.0's established server
    /// session is 14 KB, see Benchmarks/README.md "TLS"; a handshake in progress holds more for a while).
    static let tlsSessionBytes = 16 << 10

    /// Starts TLS for a connection just accepted on a TLS listener. False when OpenSSL could not
    /// allocate the session (the caller closes the connection).
    func startTLS(slot: UInt32, context: TLSContext) -> Bool {
        guard let session = TLSSession(context: context, pipe: tlsPipe) else {
            countTLSFailure(.resources)
            return false
        }
        tlsClients[slot] = TLSClientState(session: session)
        connections[Int(slot)].usesTLS = true
        return true
    }

    /// Ciphertext received for a TLS client: run the handshake, then decrypt records and decode their
    /// plaintext as a plain connection's bytes.
    func receiveTLS(_ ciphertext: Span<UInt8>, for client: ClientID) {
        guard let session = tlsClients[client.slot]?.session else { return }
        let slot = client.slot
        let outcome = session.receive(
            ciphertext, pipe: tlsPipe,
            output: { records in appendCiphertext(records, slot: slot) },
            handshakeCompleted: { tlsHandshakeCompleted(client) },
            plaintext: { plaintext in
                decode(&plaintext, for: client)
                return lifecycle(of: client)?.isOpen == true
            })
        guard lifecycle(of: client) != nil else { return }
        switch outcome {
        case .needMoreInput, .stopped:
            flushTLS(slot)
        case .closedByPeer:
            // close_notify: the peer writes no more; what it asked for has been delivered.
            close(client, reason: .peerClosed, graceful: true)
        case .failed(let reason, let detail):
            tlsFailed(client, reason: session.isHandshakeComplete ? .protocol : reason, detail: detail)
        }
    }

    private func tlsHandshakeCompleted(_ client: ClientID) {
        counters.tlsHandshakesCompleted &+= 1
        connections[Int(client.slot)].tlsEstablished = true
    }

    /// A failed handshake or a bad record: the alert OpenSSL wrote goes out, then the connection closes.
    private func tlsFailed(_ client: ClientID, reason: TLSHandshakeFailure, detail: String) {
        let established = connections[Int(client.slot)].tlsEstablished
        if established {
            counters.tlsRecordFailures &+= 1
        } else {
            countTLSFailure(reason)
        }
        notices.notice(
            established ? "closing client: bad TLS record" : "closing client: TLS handshake failed",
            peer: peerDescription(client.slot), level: .info,
            metadata: ["reason": "\(reason.rawValue)", "openssl": "\(detail)"], now: ShardLoop.now())
        // Nothing the peer was promised is owed to a broken session: only the alert is flushed.
        discardQueue(client.slot)
        flushTLS(client.slot)
        close(client, reason: .tlsFailure, graceful: true)
    }

    func countTLSFailure(_ reason: TLSHandshakeFailure) {
        counters.tlsHandshakeFailures[reason, default: 0] &+= 1
    }

    /// Appends ciphertext OpenSSL produced for `slot` to its pending output; a client whose output
    /// cannot be held is closed.
    private func appendCiphertext(_ records: Span<UInt8>, slot: UInt32) {
        guard var state = tlsClients[slot] else { return }
        let held = state.pending.map { chunks.length(of: $0) } ?? 0
        if held + records.count > Self.tlsPendingLimit {
            counters.sendQueueDrops &+= 1
            notices.notice(
                "closing TLS client: it does not read what its own records make the gateway answer",
                peer: peerDescription(slot), level: .info, metadata: ["pending": "\(held)"], now: ShardLoop.now())
            close(
                ClientID(slot: slot, generation: connections[Int(slot)].generation), reason: .slowClient,
                graceful: false)
            return
        }
        let appended: Chunk?
        if let pending = state.pending {
            appended = chunks.tryAppend(records, to: pending, capacityLimit: Int.max)
        } else if let fresh = chunks.tryAllocate(capacity: max(records.count, 512)) {
            chunks.write(records, to: fresh, at: 0)
            appended = fresh
        } else {
            appended = nil
        }
        guard let appended else {
            // The client's output is lost; the close releases what it held (no goodbye: it would need
            // memory too).
            counters.memoryRefusals &+= 1
            notices.notice(
                "closing TLS client: out of memory for its ciphertext", peer: peerDescription(slot), level: .warning,
                now: ShardLoop.now())
            close(
                ClientID(slot: slot, generation: connections[Int(slot)].generation), reason: .outOfMemory,
                graceful: false)
            return
        }
        state.pending = appended
        tlsClients[slot] = state
    }

    /// The TLS side of `flush`: encrypts queued plaintext once the handshake is done and output is not
    /// held, and sends the ciphertext unless a send is in flight.
    func flushTLS(_ slot: UInt32) {
        guard var lifecycle = connections[Int(slot)].lifecycle, !lifecycle.sendInFlight,
            lifecycle.phase != .closing, lifecycle.phase != .closed, tlsClients[slot] != nil
        else { return }
        if connections[Int(slot)].tlsEstablished && !connections[Int(slot)].holdsOutput {
            encryptQueue(slot)
        }
        guard var state = tlsClients[slot], lifecycle.phase != .closing else { return }
        if state.inFlight == nil, let pending = state.pending {
            state.inFlight = pending
            state.inFlightOffset = 0
            state.pending = nil
            tlsClients[slot] = state
        }
        guard let chunk = state.inFlight else { return }
        lifecycle = connections[Int(slot)].lifecycle!
        lifecycle.sendSubmitted()
        connections[Int(slot)].lifecycle = lifecycle
        io.send(
            chunk, range: state.inFlightOffset..<chunks.length(of: chunk), fileIndex: slot,
            tag: CompletionTag(kind: .send, generation: connections[Int(slot)].generation, slot: slot))
    }

    /// Moves queued plaintext through the session into pending ciphertext, up to `tlsCiphertextAhead`.
    private func encryptQueue(_ slot: UInt32) {
        let client = ClientID(slot: slot, generation: connections[Int(slot)].generation)
        while let node = sendQueues.head(of: connections[Int(slot)].queue) {
            guard let state = tlsClients[slot] else { return }
            let ahead = state.pending.map { chunks.length(of: $0) } ?? 0
            guard ahead < Self.tlsCiphertextAhead else { return }
            let count = min(Int(node.end - node.start), Self.tlsCiphertextAhead)
            let written = chunks.withBytes(node.chunk) { bytes in
                state.session.write(
                    bytes.extracting(Int(node.start)..<Int(node.start) + count), pipe: tlsPipe,
                    output: { records in appendCiphertext(records, slot: slot) })
            }
            guard lifecycle(of: client) != nil, connections[Int(slot)].lifecycle?.phase != .closing else { return }
            guard written else {
                close(client, reason: .tlsFailure, graceful: false)
                return
            }
            if let done = sendQueues.consume(count, from: &connections[Int(slot)].queue) { chunks.release(done) }
        }
    }

    /// A send of a TLS client's ciphertext completed with `byteCount` bytes.
    func tlsSendAdvanced(_ slot: UInt32, byteCount: Int) {
        guard var state = tlsClients[slot], let chunk = state.inFlight else { return }
        state.inFlightOffset += byteCount
        if state.inFlightOffset >= chunks.length(of: chunk) {
            chunks.release(chunk)
            state.inFlight = nil
            state.inFlightOffset = 0
        }
        tlsClients[slot] = state
    }

    /// A graceful close of an established TLS connection ends with close_notify after the queued output,
    /// so the peer can tell our end from a truncation (RFC 8446 §6.1). Returns whether the alert was queued
    /// now: the caller then waits for it to be sent before it closes.
    func queueCloseNotify(_ slot: UInt32) -> Bool {
        guard connections[Int(slot)].tlsEstablished, var state = tlsClients[slot], !state.closeNotifyQueued else {
            return false
        }
        state.closeNotifyQueued = true
        tlsClients[slot] = state
        state.session.shutdown(pipe: tlsPipe, output: { records in appendCiphertext(records, slot: slot) })
        guard tlsOutputPending(slot) else { return false }
        flushTLS(slot)
        return true
    }

    /// Whether a TLS client still has ciphertext to send.
    func tlsOutputPending(_ slot: UInt32) -> Bool {
        guard let state = tlsClients[slot] else { return false }
        return state.inFlight != nil || state.pending != nil
    }

    /// Frees a TLS client's session and ciphertext (its slot is being closed: nothing is in flight).
    func releaseTLS(_ slot: UInt32) {
        guard let state = tlsClients.removeValue(forKey: slot) else { return }
        if let chunk = state.inFlight { chunks.release(chunk) }
        if let chunk = state.pending { chunks.release(chunk) }
        connections[Int(slot)].usesTLS = false
        connections[Int(slot)].tlsEstablished = false
    }

    /// The TLS session of `client`, when it came through a TLS listener (negotiated version, SNI name).
    public func tlsSession(of client: ClientID) -> TLSSession? {
        guard lifecycle(of: client) != nil else { return nil }
        return tlsClients[client.slot]?.session
    }

    /// New handshakes on listener `index` use `context` from now on; sessions already made keep theirs.
    public func replaceTLSContext(_ context: TLSContext, listener index: Int) {
        guard listeners.indices.contains(index), listeners[index].tls != nil else { return }
        listeners[index].tls = context
    }
}
