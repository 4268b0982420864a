import RingGateRuntime

/// One client as `ringgate connections` lists it, taken on its shard's thread.
public struct ConnectionListing: Sendable, Equatable, Codable {
    /// The GatewayWorker client_id (spec §3); empty on a shard without workers (echo).
    public var clientID: String
    /// The peer's address as the kernel reported it.
    public var remote: String
    /// The listener it came in on, as `scheme://ip:port`.
    public var listener: String
    /// workerman's connection states: CONNECTING (peer address being read), ESTABLISHED, CLOSING (a
    /// graceful close flushing, or in-flight operations settling), CLOSED (the close was submitted).
    public var state: String
    /// The uid it is bound to, if any (§4.7).
    public var uid: String?
    /// The groups it is in, in join order (§4.8).
    public var groups: [String]
    public var bytesIn: UInt64
    public var bytesOut: UInt64
    /// Bytes queued for it and not yet accepted by the kernel.
    public var queuedBytes: UInt64
    public var ageSeconds: UInt64

    /// snake_case, written out: JSONDecoder's `convertFromSnakeCase` would look for `clientId`.
    enum CodingKeys: String, CodingKey {
        case clientID = "client_id", remote, listener, state, uid, groups, bytesIn = "bytes_in"
        case bytesOut = "bytes_out", queuedBytes = "queued_bytes", ageSeconds = "age_seconds"
    }

    /// Every key is always present (`uid` as null), so a log shipper sees one shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(clientID, forKey: .clientID)
        try container.encode(remote, forKey: .remote)
        try container.encode(listener, forKey: .listener)
        try container.encode(state, forKey: .state)
        try container.encode(uid, forKey: .uid)
        try container.encode(groups, forKey: .groups)
        try container.encode(bytesIn, forKey: .bytesIn)
        try container.encode(bytesOut, forKey: .bytesOut)
        try container.encode(queuedBytes, forKey: .queuedBytes)
        try container.encode(ageSeconds, forKey: .ageSeconds)
    }
}

/// A page of one shard's clients, in slot order.
public struct ConnectionPage: Sendable, Equatable {
    public var rows: [ConnectionListing]
    /// The cursor of the next page; nil once the whole table was visited. A page can be short (or
    /// empty) and still have a next one: a scan visits a bounded number of slots.
    public var nextCursor: Int?
}

extension ClientShard {
    /// Largest page a caller may ask for: a page is built during one mailbox message, so it keeps the
    /// shard's turn short however many clients there are.
    public static let maxConnectionPageSize = 10_000

    /// Up to `limit` clients from slot `cursor` on. Visits at most `4 * limit + 1024` slots, so a
    /// sparse table cannot make one call long.
    public func connectionPage(from cursor: Int, limit: Int) -> ConnectionPage {
        let limit = min(max(limit, 1), Self.maxConnectionPageSize)
        let nowSecond = UInt32(truncatingIfNeeded: ShardLoop.now() / 1_000_000_000)
        var rows: [ConnectionListing] = []
        rows.reserveCapacity(min(limit, counters.liveConnections))
        // Clamped before the arithmetic: a cursor is whatever integer an admin request carried.
        var slot = min(max(cursor, 0), connections.count)
        let scanEnd = min(connections.count, slot + 4 * limit + 1_024)
        while slot < scanEnd && rows.count < limit {
            defer { slot += 1 }
            let connection = connections[slot]
            guard let lifecycle = connection.lifecycle else { continue }
            let client = ClientID(slot: UInt32(slot), generation: connection.generation)
            let gateway = upstream?.listing(of: client)
            let listener = listeners[Int(connection.listener)].configuration
            rows.append(
                ConnectionListing(
                    clientID: gateway?.clientID ?? "", remote: peerDescription(UInt32(slot)),
                    listener: "\(listener.framing.scheme)://\(listener.address)",
                    state: Self.stateName(lifecycle.phase),
                    uid: gateway?.uid, groups: gateway?.groups ?? [], bytesIn: connection.bytesIn,
                    bytesOut: connection.bytesOut, queuedBytes: UInt64(connection.queue.byteCount),
                    ageSeconds: UInt64(nowSecond &- connection.openedSecond)))
        }
        return ConnectionPage(rows: rows, nextCursor: slot < connections.count ? slot : nil)
    }

    static func stateName(_ phase: ClientLifecycle.Phase) -> String {
        switch phase {
        case .resolvingPeer: "CONNECTING"
        case .open: "ESTABLISHED"
        case .pausing, .paused: "MOVING"
        case .draining, .closing: "CLOSING"
        case .closed: "CLOSED"
        }
    }
}

/// What the worker-facing side knows about a client, for a connection listing.
struct UpstreamClientListing {
    var clientID: String
    var uid: String?
    var groups: [String]
}
