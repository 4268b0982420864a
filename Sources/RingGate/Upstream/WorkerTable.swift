/// Identity of one inner connection on a shard's upstream ring: its file-table slot and the slot's
/// generation, so a closed connection is never confused with the one that reuses its slot.
struct InnerID: Hashable {
    var slot: UInt32
    var generation: UInt32
}

/// A worker key's place in the `WorkerTable`; clients remember it as their sticky binding.
struct WorkerSlot: Hashable {
    var index: UInt16
}

/// The registered workers of one shard (spec §5.2) and the router that binds clients to them (§5.3).
///
/// Each worker key (`remoteIP:name:index`) keeps one slot for the table's lifetime, so a client bound to
/// a key follows that key across worker restarts exactly as PHP's sticky router does (it stores the
/// key string): a binding is valid while its key has a live connection. Pure state, no I/O.
struct WorkerTable {
    struct Entry {
        let key: String
        /// The connection currently registered under the key; nil while the key has none.
        var connection: InnerID?
        /// Clients bound since the key last registered (least-connections record).
        var boundClients: Int = 0
        /// Registration sequence number: ties in least-connections go to the earliest.
        var registeredAt: UInt64 = 0
    }

    private(set) var entries: [Entry] = []
    private var slotsByKey: [String: WorkerSlot] = [:]
    private var registrations: UInt64 = 0
    /// Keys with a live connection.
    private(set) var liveCount = 0

    /// Registers `connection` under `key`, resetting its least-connections counter (§5.3). Returns the
    /// connection previously registered under the key, which the caller closes: the new one replaces
    /// it (GatewayWorker ≥ 3.1.18, §5.2).
    mutating func register(key: String, connection: InnerID) -> (slot: WorkerSlot, replaced: InnerID?) {
        let slot: WorkerSlot
        if let existing = slotsByKey[key] {
            slot = existing
        } else {
            precondition(entries.count < Int(UInt16.max), "worker keys exhausted")
            slot = WorkerSlot(index: UInt16(entries.count))
            entries.append(Entry(key: key))
            slotsByKey[key] = slot
        }
        let replaced = entries[Int(slot.index)].connection
        if replaced == nil { liveCount += 1 }
        registrations += 1
        entries[Int(slot.index)].connection = connection
        entries[Int(slot.index)].boundClients = 0
        entries[Int(slot.index)].registeredAt = registrations
        return (slot, replaced == connection ? nil : replaced)
    }

    /// Removes the worker registered on `connection` under `slot`, if that connection still holds the
    /// key: a replaced connection closing late must not orphan its successor (PHP's bug, §5.2).
    @discardableResult
    mutating func remove(_ slot: WorkerSlot, connection: InnerID) -> Bool {
        guard entries[Int(slot.index)].connection == connection else { return false }
        entries[Int(slot.index)].connection = nil
        liveCount -= 1
        return true
    }

    /// The live connection of `slot`, nil when its key has none.
    func connection(of slot: WorkerSlot) -> InnerID? {
        entries[Int(slot.index)].connection
    }

    /// The key of `slot`.
    func key(of slot: WorkerSlot) -> String { entries[Int(slot.index)].key }

    /// Chooses a worker for a client without a live binding and counts the client against it; nil when
    /// no worker is registered.
    mutating func choose(_ router: UpstreamConfiguration.Router, using random: inout some RandomNumberGenerator)
        -> WorkerSlot?
    {
        guard liveCount > 0 else { return nil }
        var chosen: Int?
        switch router {
        case .leastConnections:
            for index in entries.indices where entries[index].connection != nil {
                guard let best = chosen else {
                    chosen = index
                    continue
                }
                let candidate = entries[index]
                let current = entries[best]
                if candidate.boundClients < current.boundClients
                    || (candidate.boundClients == current.boundClients && candidate.registeredAt < current.registeredAt)
                {
                    chosen = index
                }
            }
        case .random:
            var pick = Int.random(in: 0..<liveCount, using: &random)
            for index in entries.indices where entries[index].connection != nil {
                if pick == 0 {
                    chosen = index
                    break
                }
                pick -= 1
            }
        }
        guard let index = chosen else { return nil }
        entries[index].boundClients += 1
        return WorkerSlot(index: UInt16(index))
    }

    /// A client bound to `slot` closed: its key's counter goes down if the key is live and above zero.
    mutating func clientClosed(boundTo slot: WorkerSlot) {
        guard entries[Int(slot.index)].connection != nil, entries[Int(slot.index)].boundClients > 0 else { return }
        entries[Int(slot.index)].boundClients -= 1
    }

    /// Live workers' connections, in registration order.
    var liveConnections: [InnerID] {
        entries.filter { $0.connection != nil }.sorted { $0.registeredAt < $1.registeredAt }.compactMap(\.connection)
    }
}
