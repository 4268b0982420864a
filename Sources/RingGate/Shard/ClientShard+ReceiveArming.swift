import RingGateRuntime

extension ClientShard {
    /// Buffers of the shard's ring that no receive armed this turn has been promised: not lent to us, less
    /// one for every receive armed since the turn began (a newcomer's upgrade request or ClientHello is
    /// usually waiting, so its receive takes a buffer the moment the kernel sees it).
    var receiveBuffersUnpromised: Int {
        io.receiveBuffers.bufferCount - io.receiveBuffers.lentCount - receiveArmsThisTurn
    }

    /// A new connection's first receive. Armed now when this turn's receives leave a buffer for it and none
    /// is waiting; otherwise it waits its turn behind the starved ones (`rearmStarvedReceives`). Arming every
    /// newcomer at once let a connect burst take all the buffers each turn: the receives waiting to be
    /// re-armed then failed with -ENOBUFS again and again, went back to the end of the line, and some waited
    /// past the handshake deadline (58 shards with 64 buffers each on one thread: ~1% of 100,000 connects).
    func armFirstReceive(_ client: ClientID) {
        if receivesToRearmStart == receivesToRearm.count && receiveBuffersUnpromised > 0 {
            perform(.armReceive, slot: client.slot)
        } else {
            receivesToRearm.append(client)
        }
    }
}
