import Dispatch
import RingGateCodecs
import RingGateRuntime
import Synchronization

/// The listening sockets a new process takes over from the old one, in the old one's layout.
public struct TakeoverSockets: Sendable {
    /// Per shard, one socket per configured listener (SO_REUSEPORT members of one group per listener).
    public var clientListeners: [[ListeningSocket]]
    /// One inner (worker) listener per shard; empty for a gateway without workers.
    public var innerListeners: [ListeningSocket]

    public init(clientListeners: [[ListeningSocket]], innerListeners: [ListeningSocket]) {
        self.clientListeners = clientListeners
        self.innerListeners = innerListeners
    }

    /// The sockets must match this configuration's shards, listeners and inner addresses.
    func check(against configuration: GatewayConfiguration) throws(ConfigurationError) {
        guard clientListeners.count == configuration.shardCount else {
            throw ConfigurationError(
                "the running gateway has \(clientListeners.count) shards, this configuration \(configuration.shardCount)"
            )
        }
        for (shard, sockets) in clientListeners.enumerated() where sockets.count != configuration.listeners.count {
            throw ConfigurationError(
                "shard \(shard) brings \(sockets.count) listeners, this configuration has \(configuration.listeners.count)"
            )
        }
        for (listener, configured) in configuration.listeners.enumerated()
        where configured.address.port != 0 && clientListeners[0][listener].address != configured.address {
            throw ConfigurationError(
                "listener \(listener) is \(clientListeners[0][listener].address) in the running gateway, "
                    + "\(configured.address) here")
        }
        if let upstream = configuration.upstream {
            guard innerListeners.count == configuration.shardCount else {
                throw ConfigurationError("the running gateway has no worker listeners for every shard")
            }
            for (shard, socket) in innerListeners.enumerated()
            where upstream.startPort != 0 && socket.address != upstream.innerAddress(shard: shard) {
                throw ConfigurationError(
                    "shard \(shard) listens for workers on \(socket.address), this configuration on "
                        + "\(upstream.innerAddress(shard: shard))")
            }
        }
    }
}

/// Each step of a live takeover on the gateway's shards, blocking the caller (the takeover coordinator's
/// thread, never a shard's) until the shard answered or the timeout passed.
extension GatewayServer {
    /// The listening sockets to hand to a new process: per shard its client listeners, then its inner one.
    public var takeoverSockets: TakeoverSockets {
        TakeoverSockets(
            clientListeners: shards.map(\.sockets), innerListeners: shards.compactMap(\.innerSocket))
    }

    /// Number of shards.
    public var shardCount: Int { shards.count }

    /// Every shard buffers client events that find no worker for `seconds` rather than closing their
    /// clients (a takeover replaces the in-process workers).
    public func holdEventsWithoutWorkers(seconds: Double) {
        let nanoseconds = UInt64(seconds * 1e9)
        for index in 0..<shards.count {
            onShard(index) { $0.upstream?.holdEventsWithoutWorkers(forNanoseconds: nanoseconds) }
        }
    }

    /// Pauses shard `index` and exports it (see `ClientShard.beginHandover`).
    public func beginHandover(shard index: Int, timeoutSeconds: Double) -> Result<ShardExport, TakeoverError> {
        let deadline = UInt64(timeoutSeconds * 1e9)
        return awaitShard(index, timeoutSeconds: timeoutSeconds + 10) { shard, reply in
            shard.beginHandover(deadlineNanoseconds: deadline, quiesced: reply)
        }
    }

    /// Ordinary descriptors of `slots` of shard `index` (see `ClientShard.installDescriptors`).
    public func installDescriptors(shard index: Int, slots: [UInt32]) -> Result<[Int32], TakeoverError> {
        awaitShard(index, timeoutSeconds: 30) { shard, reply in shard.installDescriptors(slots, reply: reply) }
    }

    /// Shard `index` was adopted by the new process: let go of its clients.
    public func commitHandover(shard index: Int) {
        onShard(index) { $0.handoverCommitted() }
    }

    /// The takeover failed: shard `index` serves again whatever it still holds.
    public func abortHandover(shard index: Int, reason: String) {
        onShard(index) { $0.handoverAborted(reason: reason) }
    }

    /// New process: places a batch of shard `index`'s client sockets (the caller closes its descriptors
    /// afterwards).
    public func placeAdoptedSockets(shard index: Int, _ placements: [(slot: UInt32, descriptor: Int32)])
        -> Result<Int, TakeoverError>
    {
        awaitShard(index, timeoutSeconds: 30) { shard, reply in reply(shard.placeAdoptedSockets(placements)) }
    }

    /// New process: shard `index` adopts the old shard's state (its sockets placed already).
    public func adopt(shard index: Int, snapshot: TakeoverSnapshot) -> Result<Int, TakeoverError> {
        awaitShard(index, timeoutSeconds: 60) { shard, reply in reply(shard.adopt(snapshot)) }
    }

    /// New process: shard `index` gets no state (the old process is gone); it starts empty.
    public func startWithoutAdoption(shard index: Int) {
        onShard(index) { $0.startWithoutAdoption() }
    }

    /// Runs `body` on shard `index`'s thread and waits for the reply it eventually gives.
    private func awaitShard<Value: Sendable>(
        _ index: Int, timeoutSeconds: Double,
        _ body: @escaping @Sendable (ClientShard, @escaping @Sendable (Result<Value, TakeoverError>) -> Void) -> Void
    ) -> Result<Value, TakeoverError> {
        let outcome = Mutex<Result<Value, TakeoverError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        shards[index].mailbox.post(
            .execute { shard in
                body(shard) { result in
                    outcome.withLock { $0 = $0 ?? result }
                    done.signal()
                }
            })
        guard done.wait(timeout: .now() + timeoutSeconds) == .success, let result = outcome.withLock({ $0 }) else {
            return .failure(TakeoverError("shard \(index) did not answer within \(Int(timeoutSeconds)) s"))
        }
        return result
    }
}
