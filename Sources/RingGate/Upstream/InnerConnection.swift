import RingGateCodecs
import RingGateRuntime

/// One worker or GatewayClient connection on a shard's upstream ring (spec §5.1).
///
/// Output is batched: events and replies produced during a loop turn are appended to `pending`, and
/// the turn ends with at most one send per connection. While a send is in flight the next batch keeps
/// filling `pending`, so a worker receives many packets per write under load.
struct InnerConnection {
    /// Bumped each time the slot is freed; completions carry it.
    var generation: UInt32 = 0
    /// nil: the slot is free. Shared with client connections: same close rules, same invariants.
    var lifecycle: ClientLifecycle?
    var peer = SocketAddress.ipv4(address: 0, port: 0)
    /// Authorised by the secret (or no secret is configured, spec §5.1).
    var authorised = false
    /// Authorised and completed a packet: no longer subject to the handshake deadline or eviction.
    var established = false
    /// When the link was accepted (handshake deadline, oldest-first eviction).
    var acceptedAt: UInt64 = 0
    /// When a graceful close began (0: none); the flush is cut after `innerCloseTimeout`.
    var closeStartedAt: UInt64 = 0
    /// The worker key this connection registered, if it is a worker connection.
    var worker: WorkerSlot?
    var assembler: GatewayPacketAssembler
    /// Output of this turn, not yet handed to the kernel.
    var pending: Chunk?
    /// The chunk the kernel is sending from, and how much of it was sent.
    var sending: Chunk?
    var sendOffset = 0
    /// Bytes in `pending` and the unsent part of `sending` (compared with `sendToWorkerBufferSize`).
    var queuedBytes = 0
    /// Queued in the shard's flush list for the end of this turn.
    var flushScheduled = false
    /// A live takeover closes this link from our side once its output is flushed (SHUT_WR), then reads
    /// what the worker still sends until its EOF; `halfClosed` once the shutdown was submitted.
    var closesForTakeover = false
    var halfClosed = false
    /// A worker link waits for the worker's EOF (up to `handoverLinkDeadline`); a GatewayClient link only
    /// briefly (`handoverQueryLinkGrace`): a pooled query connection may not read until its next request.
    var takeoverWaitsForPeer = false

    init(maxPackageLength: Int) {
        assembler = GatewayPacketAssembler(maxPackageLength: maxPackageLength)
    }

    /// The identity completions and the worker table use.
    func id(slot: UInt32) -> InnerID { InnerID(slot: slot, generation: generation) }
}
