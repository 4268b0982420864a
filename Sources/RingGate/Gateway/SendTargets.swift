import RingGateCodecs

/// The clients a multicast send goes to, in delivery order (spec §4.4). A cid may repeat: PHP sends once
/// per occurrence (a client in two listed groups, a uid listed twice).
struct SendTargets: Equatable {
    /// Recipients in order, repeats included.
    var connectionIDs: [UInt32]
    /// `exclude` was a non-empty JSON list, read by value as a deliberate deviation from PHP (which would
    /// exclude by index, §12); the caller counts it.
    var excludeListDeviation = false
}

/// Recipient lists of the send commands (spec §4.4). O(recipients) apart from parsing ext_data.
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
            let ids = (connections.containerValues ?? []).compactMap(GatewayKeys.connectionID(json:))
            return SendTargets(connectionIDs: ids.filter(contains))
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

    /// CMD_SEND_TO_UID (14): ext_data is a JSON list of uids; for each uid in order, each of its clients
    /// in bind order. A repeated uid repeats delivery. Invalid JSON or a scalar → nobody.
    func sendToUIDTargets(_ extData: [UInt8]) -> SendTargets {
        var ids: [UInt32] = []
        for uid in JSONParser.parse(extData)?.containerValues ?? [] {
            guard let key = PHPKey(json: uid) else { continue }
            ids.append(contentsOf: connectionIDs(boundTo: key))
        }
        return SendTargets(connectionIDs: ids)
    }

    /// CMD_SEND_TO_GROUP (22): ext_data `{"group":[…],"exclude":…}` (member order irrelevant); for each
    /// group in order, each member in join order whose cid is not excluded. A client in two listed groups
    /// gets the message twice. Invalid JSON → nobody.
    func sendToGroupTargets(_ extData: [UInt8]) -> SendTargets {
        guard let json = JSONParser.parse(extData) else { return SendTargets(connectionIDs: []) }
        let excluded = GatewayKeys.excludedConnectionIDs(json["exclude"])
        var ids: [UInt32] = []
        for group in json["group"]?.containerValues ?? [] {
            guard let key = PHPKey(json: group) else { continue }
            for member in members(of: key) where !excluded.ids.contains(member) { ids.append(member) }
        }
        return SendTargets(connectionIDs: ids, excludeListDeviation: excluded.listDeviation)
    }
}
