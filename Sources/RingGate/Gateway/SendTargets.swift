import RingGateCodecs

/// The clients a multicast send goes to, in delivery order (spec §4.4). A cid may repeat when it is
/// reached through two distinct groups (PHP sends once per occurrence). A uid, group or connection
/// listed more than once in one command counts once: PHP would send once per repeat, which lets a
/// 10 MiB list of one uid multiply into billions of sends (a deliberate deviation, counted).
struct SendTargets: Equatable {
    /// Recipients in order, repeats through distinct groups included.
    var connectionIDs: [UInt32]
    /// `exclude` was a non-empty JSON list, read by value as a deliberate deviation from PHP (which would
    /// exclude by index, §12); the caller counts it.
    var excludeListDeviation = false
    /// A uid, group or connection was listed more than once and delivered to once (deviation from
    /// PHP); the caller counts it.
    var repeatsCollapsed = false
}

/// Recipient lists of the send commands (spec §4.4). O(ext_data + recipients): every listed name is
/// looked up once.
extension GatewayClientTable {
    /// CMD_SEND_TO_ALL (6). ext_data empty, invalid JSON, or without `connections`/`exclude` (null
    /// counts as absent) → every client in connect order. `connections` → its values in order, unknown
    /// cids skipped (a scalar sends to nobody, as PHP's `foreach` on it does nothing). Otherwise `exclude`
    /// → every client whose cid is not a key of the object.
    func sendToAllTargets(_ extData: [UInt8]) -> SendTargets {
        guard !extData.isEmpty, let json = JSONParser.parse(extData) else {
            return SendTargets(connectionIDs: connectionIDs)
        }
        if let connections = json["connections"], connections != .null {
            var listed = 0
            var ids = InsertionOrderedSet<UInt32>()
            for id in (connections.containerValues ?? []).lazy.compactMap(GatewayKeys.connectionID(json:))
            where contains(id) {
                listed += 1
                ids.append(id)
            }
            return SendTargets(connectionIDs: Array(ids), repeatsCollapsed: listed != ids.count)
        }
        guard let exclude = json["exclude"], exclude != .null else { return SendTargets(connectionIDs: connectionIDs) }
        let excluded = GatewayKeys.excludedConnectionIDs(exclude)
        var ids: [UInt32] = []
        ids.reserveCapacity(count)
        for record in records where !record.isRemoved && !excluded.ids.contains(record.connectionID) {
            ids.append(record.connectionID)
        }
        return SendTargets(connectionIDs: ids, excludeListDeviation: excluded.listDeviation)
    }

    /// CMD_SEND_TO_UID (14): ext_data is a JSON list of uids; for each distinct uid in order, each of its
    /// clients in bind order (a repeated uid is delivered to once). Invalid JSON or a scalar → nobody.
    func sendToUIDTargets(_ extData: [UInt8]) -> SendTargets {
        let (uids, listed) = Self.distinctKeys(JSONParser.parse(extData)?.containerValues ?? [])
        var ids: [UInt32] = []
        for key in uids { ids.append(contentsOf: connectionIDs(boundTo: key)) }
        return SendTargets(connectionIDs: ids, repeatsCollapsed: listed != uids.count)
    }

    /// CMD_SEND_TO_GROUP (22): ext_data `{"group":[…],"exclude":…}` (member order irrelevant); for each
    /// group in order, each member in join order whose cid is not excluded. A client in two listed groups
    /// gets the message twice. Invalid JSON → nobody.
    func sendToGroupTargets(_ extData: [UInt8]) -> SendTargets {
        guard let json = JSONParser.parse(extData) else { return SendTargets(connectionIDs: []) }
        let excluded = GatewayKeys.excludedConnectionIDs(json["exclude"])
        let (groups, listed) = Self.distinctKeys(json["group"]?.containerValues ?? [])
        var ids: [UInt32] = []
        for key in groups {
            for member in members(of: key) where !excluded.ids.contains(member) { ids.append(member) }
        }
        return SendTargets(
            connectionIDs: ids, excludeListDeviation: excluded.listDeviation, repeatsCollapsed: listed != groups.count)
    }

    /// The distinct PHP keys of `values` in first-seen order, and how many usable keys were listed.
    private static func distinctKeys(_ values: [JSONValue]) -> (keys: InsertionOrderedSet<PHPKey>, listed: Int) {
        var keys = InsertionOrderedSet<PHPKey>()
        var listed = 0
        for key in values.lazy.compactMap({ PHPKey(json: $0) }) {
            listed += 1
            keys.append(key)
        }
        return (keys, listed)
    }
}
