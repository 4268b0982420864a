import RingGateCodecs

/// One shard's clients as the gateway's commands see them (spec §4, §7): records keyed by connection
/// id in connect order, plus the uid and group indexes. Pure state, no I/O: the shard feeds it commands
/// and performs the replies, sends and closes it returns.
///
/// Records live in a dense array in insertion order — every client listing (GET_ALL_CLIENT_SESSIONS,
/// SEND_TO_ALL, SELECT) follows connect order (§9.3) — with a dictionary from connection id to position.
/// Removal leaves a placeholder that is squeezed out once placeholders outnumber clients, so connect,
/// close, bind, join and leave are O(1) amortised and a listing is O(clients). Each shard is its own
/// gateway address with its own id space, as PHP gateway processes are (§1, §12).
struct GatewayClientTable {
    /// Clients in connect order; removed ones are `GatewayClientRecord.removed` until compaction.
    private(set) var records: ContiguousArray<GatewayClientRecord> = []
    /// Connection id → position in `records`.
    private var positions: [UInt32: UInt32] = [:]
    /// uid → its clients in bind order (§4.7).
    var uidMembers: [PHPKey: InsertionOrderedSet<UInt32>] = [:]
    /// group → its members in join order (§4.8).
    var groupMembers: [PHPKey: InsertionOrderedSet<UInt32>] = [:]
    /// Existing groups in creation order, for GET_GROUP_ID_LIST (§4.8).
    var groupOrder = InsertionOrderedSet<PHPKey>()
    /// The shard's connection-id counter (§3).
    private(set) var allocator: ConnectionIDAllocator

    /// An empty table whose first id is the first one after `counter`.
    init(counter: UInt32 = 0) {
        allocator = ConnectionIDAllocator(counter: counter)
    }

    /// Number of clients (including WebSocket clients still handshaking, §4.8).
    var count: Int { positions.count }

    /// Whether a client has this connection id.
    func contains(_ connectionID: UInt32) -> Bool { positions[connectionID] != nil }

    /// The record of a client, if present.
    subscript(connectionID: UInt32) -> GatewayClientRecord? {
        positions[connectionID].map { records[Int($0)] }
    }

    /// The live records in connect order.
    var clients: LazyFilterSequence<ContiguousArray<GatewayClientRecord>> {
        records.lazy.filter { !$0.isRemoved }
    }

    /// Connection ids of every client in connect order.
    var connectionIDs: [UInt32] {
        var ids: [UInt32] = []
        ids.reserveCapacity(count)
        for record in records where !record.isRemoved { ids.append(record.connectionID) }
        return ids
    }

    /// A table rebuilt from a live takeover's snapshot: `records` in connect order, the uid and group
    /// indexes in their own orders, and the id counter. The caller validated that the indexes agree with
    /// the records (TakeoverSnapshot's decoder checks it).
    init(
        restoring records: [GatewayClientRecord], uidIndex: [(PHPKey, [UInt32])], groupIndex: [(PHPKey, [UInt32])],
        counter: UInt32
    ) {
        allocator = ConnectionIDAllocator(counter: counter)
        for record in records { insert(record) }
        for (uid, members) in uidIndex { uidMembers[uid] = InsertionOrderedSet(members) }
        for (group, members) in groupIndex {
            groupMembers[group] = InsertionOrderedSet(members)
            _ = groupOrder.append(group)
        }
    }

    /// Adds a client at accept time under the next free connection id (§3) and returns that id, or nil
    /// when every id is in use.
    mutating func connect(clientID: ClientID) -> UInt32? {
        let table = positions
        guard let connectionID = allocator.allocate(isInUse: { table[$0] != nil }) else { return nil }
        insert(GatewayClientRecord(connectionID: connectionID, clientID: clientID))
        return connectionID
    }

    /// Adds a client under a chosen id, bypassing the counter (tests, a partitioned id space). False when
    /// the id is 0 or taken.
    mutating func connect(connectionID: UInt32, clientID: ClientID) -> Bool {
        guard connectionID != 0, positions[connectionID] == nil else { return false }
        insert(GatewayClientRecord(connectionID: connectionID, clientID: clientID))
        return true
    }

    /// Removes a client (the ON_CLOSE path, §7.2): from the table, its uid's set and every group it is
    /// in, deleting sets that become empty. Returns its record, nil if unknown.
    @discardableResult
    mutating func remove(_ connectionID: UInt32) -> GatewayClientRecord? {
        guard let position = positions.removeValue(forKey: connectionID).map(Int.init) else { return nil }
        let record = records[position]
        records[position] = .removed
        if let uid = record.uid { Self.removeMember(connectionID, from: uid, in: &uidMembers) }
        for group in record.groups ?? [] {
            if Self.removeMember(connectionID, from: group, in: &groupMembers) { groupOrder.remove(group) }
        }
        while let last = records.last, last.isRemoved { records.removeLast() }
        if records.count - positions.count > max(positions.count, 16) { compact() }
        return record
    }

    /// Sets the worker key the client's events go to.
    mutating func setWorker(_ slot: WorkerSlot?, for connectionID: UInt32) {
        update(connectionID) { $0.worker = slot }
    }

    /// Visits every client's heartbeat counter in connect order (§7.3: one pass per timer tick).
    mutating func forEachHeartbeat(_ body: (_ connectionID: UInt32, _ count: inout Int32) -> Void) {
        for position in records.indices where !records[position].isRemoved {
            body(records[position].connectionID, &records[position].heartbeatCount)
        }
    }

    /// The shard-side identity of a client, if present.
    func clientID(of connectionID: UInt32) -> ClientID? {
        positions[connectionID].map { records[Int($0)].clientID }
    }

    /// Lends a client's session bytes (nil when the client is unknown).
    func withSession<Result>(of connectionID: UInt32, _ body: (Span<UInt8>) -> Result) -> Result? {
        guard let position = positions[connectionID] else { return nil }
        let session = records[Int(position)].session
        return body(session.span)
    }

    /// Resets a client's heartbeat counter to −1 (a complete message arrived, §7.3).
    mutating func resetHeartbeat(of connectionID: UInt32) {
        update(connectionID) { $0.heartbeatCount = -1 }
    }

    /// Runs `body` on a client's record in place; nil when the client is unknown.
    @discardableResult
    mutating func update<Result>(
        _ connectionID: UInt32, _ body: (inout GatewayClientRecord) -> Result
    ) -> Result? {
        guard let position = positions[connectionID] else { return nil }
        return body(&records[Int(position)])
    }

    /// Removes `connectionID` from the set under `key`, deleting the set when it empties. Returns
    /// whether the set was deleted.
    @discardableResult
    static func removeMember(
        _ connectionID: UInt32, from key: PHPKey, in index: inout [PHPKey: InsertionOrderedSet<UInt32>]
    ) -> Bool {
        guard var members = index.removeValue(forKey: key) else { return false }
        members.remove(connectionID)
        if members.isEmpty { return true }
        index[key] = members
        return false
    }

    private mutating func insert(_ record: GatewayClientRecord) {
        positions[record.connectionID] = UInt32(records.count)
        records.append(record)
    }

    /// Drops the placeholders of removed clients and renumbers positions.
    private mutating func compact() {
        records.removeAll(where: \.isRemoved)
        for (position, record) in records.enumerated() { positions[record.connectionID] = UInt32(position) }
    }
}
