/// Identity of one inner connection on a shard's upstream ring: its file-table slot and the slot's
/// generation, so a closed connection is never confused with the one that reuses its slot.
struct InnerID: Hashable {
    var slot: UInt32
    var generation: UInt32
}

/// A worker key's place in the `WorkerTable`; clients remember it as their sticky binding. The
/// generation tells a reused slot from the key that held it before.
struct WorkerSlot: Hashable {
    var index: UInt16
    var generation: UInt16 = 0
}

/// The registered workers of one shard (spec §5.2) and the router that binds clients to them (§5.3).
///
/// A worker key (`remoteIP:name:index`) keeps its slot while it has a live connection or clients bound
/// to it, so a client bound to a key follows that key across a worker restart exactly as PHP's sticky
/// router does (it stores the key string). A key with neither is forgotten and its slot reused under a
/// new generation, so a flood of distinct keys cannot grow the table; at most `capacity` keys are known
/// at once. Pure state, no I/O.
struct WorkerTable {
    struct Entry {
        /// nil: the slot is free.
        var key: String?
        var generation: UInt16 = 0
        /// The connection currently registered under the key; nil while the key has none.
        var connection: InnerID?
        /// Clients bound since the key last registered (least-connections record).
        var boundClients: Int = 0
        /// Clients whose sticky binding is this key: the key is kept while any is.
        var references: Int = 0
        /// Registration sequence number: ties in least-connections go to the earliest.
        var registeredAt: UInt64 = 0
    }

    /// Most keys known at once (live or still referenced by clients); at most `UInt16.max`.
    let capacity: Int
    private(set) var entries: [Entry] = []
    private var freeSlots: [UInt16] = []
    private var slotsByKey: [String: WorkerSlot] = [:]
    private var registrations: UInt64 = 0
    /// Keys with a live connection.
    private(set) var liveCount = 0

    init(capacity: Int = Int(UInt16.max)) {
        self.capacity = min(max(capacity, 1), Int(UInt16.max))
    }

    /// Keys known (live or referenced).
    var keyCount: Int { slotsByKey.count }

    /// Registers `connection` under `key`, resetting its least-connections counter (§5.3). Returns the
    /// connection previously registered under the key, which the caller closes: the new one replaces
    /// it (GatewayWorker ≥ 3.1.18, §5.2). nil when `capacity` keys are known already: refused.
    mutating func register(key: String, connection: InnerID) -> (slot: WorkerSlot, replaced: InnerID?)? {
        let slot: WorkerSlot
        if let existing = slotsByKey[key] {
            slot = existing
        } else if let index = freeSlots.popLast() {
            slot = WorkerSlot(index: index, generation: entries[Int(index)].generation)
            entries[Int(index)].key = key
            slotsByKey[key] = slot
        } else if entries.count < capacity {
            slot = WorkerSlot(index: UInt16(entries.count))
            entries.append(Entry(key: key))
            slotsByKey[key] = slot
        } else {
            return nil
        }
        let index = Int(slot.index)
        let replaced = entries[index].connection
        if replaced == nil { liveCount += 1 }
        registrations += 1
        entries[index].connection = connection
        entries[index].boundClients = 0
        entries[index].registeredAt = registrations
        return (slot, replaced == connection ? nil : replaced)
    }

    /// Removes the worker registered on `connection` under `slot`, if that connection still holds the
    /// key: a replaced connection closing late must not orphan its successor (PHP's bug, §5.2).
    @discardableResult
    mutating func remove(_ slot: WorkerSlot, connection: InnerID) -> Bool {
        guard isCurrent(slot), entries[Int(slot.index)].connection == connection else { return false }
        entries[Int(slot.index)].connection = nil
        liveCount -= 1
        forgetIfUnused(slot)
        return true
    }

    /// The live connection of `slot`, nil when its key has none or the slot was reused.
    func connection(of slot: WorkerSlot) -> InnerID? {
        isCurrent(slot) ? entries[Int(slot.index)].connection : nil
    }

    /// The key of `slot` ("" once it was forgotten).
    func key(of slot: WorkerSlot) -> String { isCurrent(slot) ? entries[Int(slot.index)].key ?? "" : "" }

    /// Chooses a worker for a client without a live binding and counts the client against it; nil when
    /// no worker is registered. The caller releases the client's previous binding, if any.
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
        entries[index].references += 1
        return WorkerSlot(index: UInt16(index), generation: entries[index].generation)
    }

    /// A client bound to `slot` closed: its key's counter goes down if the key is live and above zero,
    /// and the key is forgotten once it is neither live nor bound.
    mutating func clientClosed(boundTo slot: WorkerSlot) {
        guard isCurrent(slot) else { return }
        let index = Int(slot.index)
        if entries[index].connection != nil, entries[index].boundClients > 0 { entries[index].boundClients -= 1 }
        release(slot)
    }

    /// A client's binding moved away from `slot` (its key had no live connection).
    mutating func release(_ slot: WorkerSlot) {
        guard isCurrent(slot) else { return }
        let index = Int(slot.index)
        if entries[index].references > 0 { entries[index].references -= 1 }
        forgetIfUnused(slot)
    }

    /// Live workers' connections, in registration order.
    var liveConnections: [InnerID] {
        entries.filter { $0.connection != nil }.sorted { $0.registeredAt < $1.registeredAt }.compactMap(\.connection)
    }

    private func isCurrent(_ slot: WorkerSlot) -> Bool {
        Int(slot.index) < entries.count && entries[Int(slot.index)].generation == slot.generation
            && entries[Int(slot.index)].key != nil
    }

    private mutating func forgetIfUnused(_ slot: WorkerSlot) {
        let index = Int(slot.index)
        guard entries[index].connection == nil, entries[index].references == 0, let key = entries[index].key else {
            return
        }
        slotsByKey[key] = nil
        entries[index] = Entry(key: nil, generation: entries[index].generation &+ 1)
        freeSlots.append(slot.index)
    }
}
