import RingGateCodecs

/// What the gateway knows about one client besides its socket (spec §7.1): the per-shard part of the
/// PHP Gateway's `$client_connection` object.
///
/// Sparse by construction: a client that never got a session, uid or group holds empty arrays and
/// nils (no heap storage), so an idle client costs only this fixed-size value. uid and groups are kept
/// as PHP keys: a canonical integer string becomes `.int`, whose decimal text is the same string, so
/// the stored string is recovered exactly (`PHPKey.textBytes`) while lookups follow PHP key equality
/// (§7.7). The table keeps them consistent with its uid and group indexes; change them only through
/// `GatewayClientTable`.
struct GatewayClientRecord: Equatable {
    /// The connection id workers address the client by (§3); 0 marks a removed record in the table.
    let connectionID: UInt32
    /// Heartbeat counter `c` (§7.3): −1 at connect and after each complete message.
    var heartbeatCount: Int32 = -1
    /// The client's slot and generation in the shard's connection table.
    var clientID: ClientID
    /// The session, opaque bytes (§7.6); empty until something sets it.
    fileprivate(set) var session: [UInt8] = []
    /// The groups the client is in, in join order; nil if it never joined one, empty if it left all
    /// (SELECT reports null vs `a:0:{}`, §4.9).
    fileprivate(set) var groups: InsertionOrderedSet<PHPKey>? = nil
    /// The worker key this client's events are routed to (sticky routing, §5.3), if chosen.
    var worker: WorkerSlot? = nil
    /// The bound uid, if any (§4.7).
    fileprivate(set) var uid: PHPKey? = nil

    /// A fresh client: no session, uid, groups or worker.
    init(connectionID: UInt32, clientID: ClientID) {
        self.connectionID = connectionID
        self.clientID = clientID
    }

    /// The placeholder left where a client was removed, until the table compacts.
    static var removed: GatewayClientRecord {
        GatewayClientRecord(connectionID: 0, clientID: ClientID(slot: 0, generation: 0))
    }

    /// Whether this is the placeholder of a removed client.
    var isRemoved: Bool { connectionID == 0 }
}

/// The record mutations the table's index maintenance needs; kept in this file so that nothing else
/// can change uid, groups or session behind the indexes' back.
extension GatewayClientRecord {
    mutating func assignSession(_ bytes: [UInt8]) { session = bytes }
    mutating func assignUID(_ key: PHPKey?) { uid = key }
    mutating func assignGroups(_ set: InsertionOrderedSet<PHPKey>?) { groups = set }
    /// Adds `group` to the client's groups (creating the set on first join); false if already there.
    mutating func addGroup(_ group: PHPKey) -> Bool {
        var set = groups ?? InsertionOrderedSet()
        groups = nil  // `set` is now the only reference, so appending does not copy
        defer { groups = set }
        return set.append(group)
    }
    /// Removes `group`; false if the client was not in it.
    mutating func removeGroup(_ group: PHPKey) -> Bool {
        groups?.remove(group) ?? false
    }
}
