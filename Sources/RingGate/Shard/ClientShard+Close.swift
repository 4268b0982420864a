import Glibc
import RingGateRuntime

extension ClientShard {
    /// Closes `client`. Graceful: stop delivering input, flush what is queued, then close (kick, close
    /// handshake, protocol errors). Otherwise drop what is queued and close now (destroy, peer gone).
    public func close(_ client: ClientID, reason: ShardCounters.CloseReason, graceful: Bool) {
        guard var lifecycle = lifecycle(of: client), lifecycle.phase != .closing, lifecycle.phase != .closed else {
            return
        }
        let slot = client.slot
        // What this turn queued (a close frame, a last message) goes out before the close, as it did when
        // every enqueue sent at once; the turn-end flush would come too late for an abortive close.
        if connections[Int(slot)].flushScheduled {
            flush(slot)
            guard let flushed = self.lifecycle(of: client) else { return }
            lifecycle = flushed
        }
        if graceful && lifecycle.phase != .draining {
            lifecycle.drain()
            connections[Int(slot)].lifecycle = lifecycle
            counters.countClose(reason)
            // A peer that never reads would keep a draining connection forever: bound the flush.
            wheel.schedule(
                CompletionTag(kind: .drainTimeout, generation: client.generation, slot: slot).rawValue,
                afterNanoseconds: listeners[Int(connections[Int(slot)].listener)].configuration.drainTimeoutNanoseconds)
            if connections[Int(slot)].queue.isEmpty && !lifecycle.sendInFlight && !tlsOutputPending(slot)
                && !(connections[Int(slot)].usesTLS && queueCloseNotify(slot))
            {
                finishClosing(client)
            }
            return
        }
        if lifecycle.phase != .draining { counters.countClose(reason) }
        finishClosing(client)
    }

    /// A graceful close whose output was not flushed in time is finished abortively.
    func drainTimedOut(_ tag: CompletionTag) {
        let client = ClientID(slot: tag.slot, generation: tag.generation)
        guard lifecycle(of: client)?.phase == .draining else { return }
        notices.notice(
            "closing client that did not take its output in time", peer: peerDescription(tag.slot), level: .info,
            now: ShardLoop.now())
        finishClosing(client)
    }

    /// Tells the application, drops the queue and moves the lifecycle to closing.
    func finishClosing(_ client: ClientID) {
        let slot = client.slot
        if connections[Int(slot)].announced {
            connections[Int(slot)].announced = false
            application.clientClosed(client, on: self)
        }
        discardQueue(slot)
        let action = connections[Int(slot)].lifecycle!.abort()
        perform(action, slot: slot)
    }

    /// Carries out a lifecycle action on `slot`.
    func perform(_ action: ClientLifecycle.Action, slot: UInt32) {
        let generation = connections[Int(slot)].generation
        switch action {
        case .none:
            break
        case .armReceive:
            connections[Int(slot)].lifecycle!.receiveSubmitted()
            receiveArmsThisTurn &+= 1
            io.ring.receiveMultishot(
                fileIndex: slot, bufferGroup: io.receiveBuffers.groupID,
                tag: CompletionTag(kind: .receive, generation: generation, slot: slot))
        case .submitShutdown:
            io.ring.shutdown(fileIndex: slot, tag: CompletionTag(kind: .shutdown, generation: generation, slot: slot))
        case .cancelAll:
            io.ring.cancelAll(fileIndex: slot, tag: CompletionTag(kind: .cancel, generation: generation, slot: slot))
        case .cancelReceive:
            io.ring.cancel(
                CompletionTag(kind: .receive, generation: generation, slot: slot),
                tag: CompletionTag(kind: .cancel, generation: generation, slot: slot))
        case .submitClose:
            releaseAssemblies(slot)
            io.ring.closeDirect(
                fileIndex: slot,
                tag: CompletionTag(kind: .close, generation: generation, slot: slot))
        }
    }

    private func releaseAssemblies(_ slot: UInt32) {
        if let assembly = connections[Int(slot)].assembly {
            chunks.release(assembly)
            connections[Int(slot)].assembly = nil
        }
        if let control = controlAssemblies.removeValue(forKey: slot) { chunks.release(control) }
        releaseTLS(slot)
    }

    func shutdownCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard connections[Int(slot)].lifecycle != nil else {
            return unexpectedCompletion(completion, "shutdown completion for a free slot")
        }
        let action = connections[Int(slot)].lifecycle!.shutdownCompleted(result: completion.result)
        perform(action, slot: slot)
    }

    func cancelCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard connections[Int(slot)].lifecycle != nil else {
            return unexpectedCompletion(completion, "cancel completion for a free slot")
        }
        let action = connections[Int(slot)].lifecycle!.cancelCompleted()
        perform(action, slot: slot)
    }

    func closeCompleted(_ completion: Completion) {
        let slot = completion.tag.slot
        guard connections[Int(slot)].lifecycle?.phase == .closed else {
            return unexpectedCompletion(completion, "close completion for a slot not closing")
        }
        connections[Int(slot)].lifecycle = nil
        connections[Int(slot)].generation &+= 1
        connections[Int(slot)].queue = .empty
        connections[Int(slot)].peerIPv4 = 0
        connections[Int(slot)].peerPort = 0
        counters.liveConnections -= 1
    }
}
