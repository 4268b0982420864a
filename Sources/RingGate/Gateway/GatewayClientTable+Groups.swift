import RingGateCodecs

/// Group membership (spec §4.8): members in join order, groups in creation order.
extension GatewayClientTable {
    /// CMD_JOIN_GROUP (20): adds the client to `group` (ext_data). Idempotent: a re-join keeps the
    /// client's position. A falsy group or unknown client is ignored. Returns whether anything changed.
    @discardableResult
    mutating func join(group: [UInt8], connectionID: UInt32) -> Bool {
        guard !GatewayKeys.isFalsy(group), contains(connectionID) else { return false }
        let key = PHPKey(normalizing: group)
        let added = update(connectionID) { $0.addGroup(key) } ?? false
        guard added else { return false }
        if groupMembers[key] == nil { groupOrder.append(key) }
        groupMembers[key, default: []].append(connectionID)
        return true
    }

    /// CMD_LEAVE_GROUP (21): removes the client from `group`; an emptied group is deleted. Falsy
    /// group, unknown client or non-member: no-op (false).
    @discardableResult
    mutating func leave(group: [UInt8], connectionID: UInt32) -> Bool {
        guard !GatewayKeys.isFalsy(group) else { return false }
        let key = PHPKey(normalizing: group)
        guard update(connectionID, { $0.removeGroup(key) }) == true else { return false }
        if Self.removeMember(connectionID, from: key, in: &groupMembers) { groupOrder.remove(key) }
        return true
    }

    /// CMD_UNGROUP (27): removes `group` from every member and deletes it (members keep an empty
    /// group set, which SELECT shows as `a:0:{}`). Falsy or unknown group: no-op (false).
    @discardableResult
    mutating func ungroup(_ group: [UInt8]) -> Bool {
        guard !GatewayKeys.isFalsy(group) else { return false }
        let key = PHPKey(normalizing: group)
        guard let members = groupMembers.removeValue(forKey: key) else { return false }
        groupOrder.remove(key)
        for member in members { update(member) { _ = $0.removeGroup(key) } }
        return true
    }

    /// The members of `group` in join order (empty for an unknown group).
    func members(of group: PHPKey) -> InsertionOrderedSet<UInt32> {
        groupMembers[group] ?? []
    }
}
