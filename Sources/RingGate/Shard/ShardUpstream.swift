import RingGateCodecs
import RingGateRuntime

/// The part of a shard that faces workers: its own ring, driven by the shard's loop.
///
/// The loop sleeps in the client ring with this ring's descriptor polled from it and drains this ring
/// first on every turn. Everything runs on the shard's thread; the shard is passed in rather than
/// stored, so neither side keeps the other alive.
protocol ShardUpstream: AnyObject {
    /// The upstream ring (created pollable).
    var ring: Ring { get }
    /// Arms the inner listener and the Register links; called once before the loop runs.
    func start(on shard: ClientShard)
    /// A completion from `ring`.
    func completed(_ completion: Completion, on shard: ClientShard)
    /// A timer this side scheduled on the shard's wheel fired.
    func timerFired(_ tag: CompletionTag, on shard: ClientShard)
    /// The turn's completions were handled: flush queued output to workers.
    func turnFinished(on shard: ClientShard)
    /// The start of a graceful shutdown: stop accepting workers and leave the Register, but keep the
    /// inner connections open so the last client events still reach the workers.
    func beginLeaving(on shard: ClientShard)
    /// Stop accepting, leave the Register, close every inner connection.
    func beginStop(on shard: ClientShard)
    /// Every inner connection and Register link is closed.
    var isStopped: Bool { get }
    /// A snapshot of the counters.
    var counters: UpstreamCounters { get }
    /// The client's client_id, uid and groups, if it is in the client table.
    func listing(of client: ClientID) -> UpstreamClientListing?

    // MARK: Live takeover (see ClientShard+Handover and ClientShard+Adoption)

    /// Old process: stop accepting workers and close their links gracefully so they reconnect to the new
    /// process; client events are buffered meanwhile. The Register links stay until the process exits.
    func beginHandover(on shard: ClientShard)
    /// Every inner link is closed.
    var handoverQuiesced: Bool { get }
    /// Client slots in connect order (the order listings follow, kept across the takeover).
    var clientOrder: [UInt32] { get }
    /// The gateway's state of the client in `slot`.
    func exportClient(slot: UInt32) -> TakeoverGatewayClient?
    /// The shard-wide state: id counter, uid and group indexes, buffered events.
    func exportShardState(into snapshot: inout TakeoverSnapshot)
    /// The clients were adopted elsewhere: forget them without ON_CLOSE.
    func handoverCommitted(on shard: ClientShard)
    /// The takeover failed: accept workers again (buffered events go to the first that returns).
    func handoverAborted(on shard: ClientShard)
    /// Buffer client events that find no worker for `nanoseconds` instead of closing their clients (the
    /// in-process workers are about to be replaced).
    func holdEventsWithoutWorkers(forNanoseconds nanoseconds: UInt64)
    /// New process: the old shard's gateway state (called before `start`).
    func adopt(_ snapshot: TakeoverSnapshot, on shard: ClientShard)
}
