import RingGateCodecs

/// uid binding (spec §4.7): one uid → many clients in bind order, one client → at most one uid.
extension GatewayClientTable {
    /// CMD_BIND_UID (12): binds the client to `uid` (ext_data), first removing any previous binding,
    /// so rebinding the same uid moves the client to the end of that uid's order. A falsy uid (`""`,
    /// `"0"`) is refused, an unknown client ignored; both return false.
    @discardableResult
    mutating func bindUID(_ uid: [UInt8], to connectionID: UInt32) -> Bool {
        guard !GatewayKeys.isFalsy(uid), let previous = self[connectionID].map(\.uid) else { return false }
        if let previous { Self.removeMember(connectionID, from: previous, in: &uidMembers) }
        let key = PHPKey(normalizing: uid)
        update(connectionID) { $0.assignUID(key) }
        uidMembers[key, default: []].append(connectionID)
        return true
    }

    /// CMD_UNBIND_UID (13): removes the client's current binding, whatever uid ext_data names (§4.7).
    /// Returns whether there was one.
    @discardableResult
    mutating func unbindUID(of connectionID: UInt32) -> Bool {
        guard let uid = self[connectionID]?.uid else { return false }
        Self.removeMember(connectionID, from: uid, in: &uidMembers)
        update(connectionID) { $0.assignUID(nil) }
        return true
    }

    /// The clients bound to `uid`, in bind order (empty for an unknown uid).
    func connectionIDs(boundTo uid: PHPKey) -> InsertionOrderedSet<UInt32> {
        uidMembers[uid] ?? []
    }
}
