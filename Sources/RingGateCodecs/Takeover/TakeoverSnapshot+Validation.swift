/// The rules a decoded snapshot must follow to be adopted: what a shard's tables can hold, so that the
/// new process rebuilds tables whose invariants hold (one socket per slot, one record per connection
/// id, indexes that agree with the records) instead of trusting bytes it cannot check later.
extension TakeoverSnapshot {
    /// A (connection id, key) membership, to match an index against the clients' own uid and groups in
    /// time linear in their number.
    private struct Membership: Hashable {
        var connectionID: UInt32
        var key: PHPKey
    }

    /// Throws `.invalid` naming the first rule the snapshot breaks.
    func validate() throws(TakeoverSnapshotError) {
        var slots = Set<UInt32>(minimumCapacity: clients.count)
        var connectionIDs = Set<UInt32>()
        var uids = Set<Membership>()
        var groups = Set<Membership>()
        for client in clients {
            guard slots.insert(client.slot).inserted else { throw .invalid("duplicate slot \(client.slot)") }
            guard client.lastOpcode <= WebSocketOpcode.binary.rawValue else {
                throw .invalid("slot \(client.slot): last opcode \(client.lastOpcode)")
            }
            if let control = client.controlAssembly {
                guard case .webSocket = client.decoder else {
                    throw .invalid("slot \(client.slot): control frame bytes without a WebSocket decoder")
                }
                // RFC 6455 §5.5; the connection's control buffer is sized for this.
                guard control.count <= 125 else { throw .invalid("slot \(client.slot): control payload over 125") }
            }
            guard let gateway = client.gateway else { continue }
            let id = gateway.connectionID
            guard id != 0 else { throw .invalid("slot \(client.slot): connection id 0") }
            guard connectionIDs.insert(id).inserted else { throw .invalid("duplicate connection id \(id)") }
            if let uid = gateway.uid { uids.insert(Membership(connectionID: id, key: uid)) }
            for group in gateway.groups ?? [] {
                guard groups.insert(Membership(connectionID: id, key: group)).inserted else {
                    throw .invalid("connection \(id) is in a group twice")
                }
            }
        }
        if !connectionIDs.isEmpty && connectionIDCounter == 0 {
            throw .invalid("gateway clients with connection-id counter 0 (the counter never returns to 0)")
        }
        try Self.match(uidIndex, against: &uids, "uid")
        try Self.match(groupIndex, against: &groups, "group")
    }

    /// Checks that `index` lists exactly `memberships`: keys once each, no empty entry, every member a
    /// client whose record has that key, each once, and no client's key missing.
    private static func match(
        _ index: [TakeoverKeyMembers], against memberships: inout Set<Membership>, _ what: String
    ) throws(TakeoverSnapshotError) {
        var keys = Set<PHPKey>(minimumCapacity: index.count)
        for entry in index {
            guard keys.insert(entry.key).inserted else { throw .invalid("\(what) index lists a key twice") }
            guard !entry.members.isEmpty else { throw .invalid("\(what) index has an empty entry") }
            for member in entry.members {
                guard memberships.remove(Membership(connectionID: member, key: entry.key)) != nil else {
                    throw .invalid("\(what) index lists connection \(member), which has no such key or is listed twice")
                }
            }
        }
        guard memberships.isEmpty else {
            throw .invalid("\(memberships.count) client \(what) memberships missing from the \(what) index")
        }
    }
}
