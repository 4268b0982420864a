import Testing

@testable import RingGate

@Suite struct WorkerTableTests {
    private static func connection(_ slot: UInt32, generation: UInt32 = 0) -> InnerID {
        InnerID(slot: slot, generation: generation)
    }

    @Test func leastConnectionsPicksTheFewestAndTiesGoToTheEarliestRegistered() {
        var table = WorkerTable()
        var random = SystemRandomNumberGenerator()
        let a = table.register(key: "127.0.0.1:BW:0", connection: Self.connection(1))!.slot
        let b = table.register(key: "127.0.0.1:BW:1", connection: Self.connection(2))!.slot
        let picks = (0..<4).compactMap { _ in table.choose(.leastConnections, using: &random) }
        #expect(picks == [a, b, a, b])
        table.clientClosed(boundTo: b)
        #expect(table.choose(.leastConnections, using: &random) == b)
    }

    @Test func aRestartedWorkerReplacesTheOldConnectionAndStartsAtZero() {
        var table = WorkerTable()
        var random = SystemRandomNumberGenerator()
        let first = table.register(key: "10.0.0.1:BW:0", connection: Self.connection(1))!
        let other = table.register(key: "10.0.0.1:BW:1", connection: Self.connection(2))!.slot
        _ = table.choose(.leastConnections, using: &random)  // first
        _ = table.choose(.leastConnections, using: &random)  // other
        let again = table.register(key: "10.0.0.1:BW:0", connection: Self.connection(3, generation: 1))!
        #expect(again.slot == first.slot && again.replaced == Self.connection(1))
        #expect(table.liveCount == 2)
        // The replaced connection closing late must not remove its successor (spec §5.2).
        let removedSuccessor = table.remove(first.slot, connection: Self.connection(1))
        #expect(!removedSuccessor)
        #expect(table.connection(of: first.slot) == Self.connection(3, generation: 1))
        // Counter reset to 0, so the re-registered key wins although it registered last.
        #expect(table.choose(.leastConnections, using: &random) == first.slot)
        // Tie (1 and 1): the earliest registration now is `other`.
        #expect(table.choose(.leastConnections, using: &random) == other)
    }

    @Test func bindingsFollowTheKeyAcrossAGap() {
        var table = WorkerTable()
        var random = SystemRandomNumberGenerator()
        let slot = table.register(key: "k", connection: Self.connection(1))!.slot
        #expect(table.choose(.leastConnections, using: &random) == slot)  // a client keeps the key
        let removed = table.remove(slot, connection: Self.connection(1))
        #expect(removed)
        #expect(table.liveCount == 0 && table.connection(of: slot) == nil)
        #expect(table.choose(.random, using: &random) == nil)
        #expect(table.choose(.leastConnections, using: &random) == nil)
        let back = table.register(key: "k", connection: Self.connection(4))!
        #expect(back.slot == slot && back.replaced == nil && table.connection(of: slot) == Self.connection(4))
    }

    @Test func randomRouterOnlyPicksLiveWorkers() {
        var table = WorkerTable()
        var random = SystemRandomNumberGenerator()
        let dead = table.register(key: "a", connection: Self.connection(1))!.slot
        let live = table.register(key: "b", connection: Self.connection(2))!.slot
        table.remove(dead, connection: Self.connection(1))
        for _ in 0..<50 { #expect(table.choose(.random, using: &random) == live) }
        #expect(table.liveConnections == [Self.connection(2)])
    }

    @Test func closedClientsNeverDriveTheCounterBelowZero() {
        var table = WorkerTable()
        var random = SystemRandomNumberGenerator()
        let a = table.register(key: "a", connection: Self.connection(1))!.slot
        let b = table.register(key: "b", connection: Self.connection(2))!.slot
        table.clientClosed(boundTo: a)
        table.clientClosed(boundTo: a)
        #expect(table.choose(.leastConnections, using: &random) == a)
        #expect(table.choose(.leastConnections, using: &random) == b)
    }

    @Test func keysOfGoneWorkersAreForgottenAndTheirSlotsReusedUnderANewGeneration() {
        var table = WorkerTable(capacity: 2)
        var random = SystemRandomNumberGenerator()
        let bound = table.register(key: "a", connection: Self.connection(1))!.slot
        #expect(table.choose(.leastConnections, using: &random) == bound)
        table.remove(bound, connection: Self.connection(1))
        // 70,000 distinct keys through one remaining slot: each is forgotten when its link moves on.
        for number in 0..<70_000 {
            let slot = table.register(key: "k\(number)", connection: Self.connection(2))!.slot
            #expect(table.keyCount == 2)
            table.remove(slot, connection: Self.connection(2))
        }
        // The full table refuses a third key while the bound dead key is kept for its client.
        _ = table.register(key: "x", connection: Self.connection(3))
        #expect(table.register(key: "y", connection: Self.connection(4)) == nil)
        #expect(table.key(of: bound) == "a")
        // The client leaves: "a" is forgotten, and a stale binding never reaches the slot's next key.
        table.clientClosed(boundTo: bound)
        let reused = table.register(key: "z", connection: Self.connection(5))!.slot
        #expect(reused.index == bound.index && reused != bound)
        #expect(table.connection(of: bound) == nil && table.key(of: bound) == "")
    }
}
