import RingGateCodecs
import Testing

@testable import RingGate

/// Connection ids, ordering of uid and group sets, and client removal (spec §3, §4.7, §4.8, §7.2).
struct GatewayTableTests {
    typealias F = GatewayFixtures

    @Test func allocatorStartsAtOneAndSkipsIDsInUse() {
        var allocator = ConnectionIDAllocator()
        let first = allocator.allocate(isInUse: { _ in false })
        let second = allocator.allocate(isInUse: { _ in false })
        let skipping = allocator.allocate(isInUse: { [3, 4].contains($0) })
        #expect([first, second, skipping] == [1, 2, 5])
    }

    @Test func allocatorWrapsAndNeverReturnsZero() {
        var allocator = ConnectionIDAllocator(counter: UInt32.max - 1)
        let top = allocator.allocate(isInUse: { _ in false })
        let wrapped = allocator.allocate(isInUse: { _ in false })  // counter at max: restart at 0, then 1
        #expect(top == UInt32.max && wrapped == 1)
        var crowded = ConnectionIDAllocator(counter: UInt32.max - 2)
        var probed: [UInt32] = []
        let found = crowded.allocate(isInUse: {
            probed.append($0); return $0 >= UInt32.max - 1 || $0 == 1
        })
        #expect(found == 2 && probed == [UInt32.max - 1, UInt32.max, 1, 2])  // 0 is never probed
    }

    @Test func tableReusesNoLiveIDAndKeepsConnectOrder() {
        var table = F.table(clients: 3)
        table.remove(2)
        let next = table.connect(clientID: F.clientID(9))
        #expect(next == 4)
        #expect(table.connectionIDs == [1, 3, 4])
        var wrapped = GatewayClientTable(counter: UInt32.max)
        let chosen = wrapped.connect(connectionID: 1, clientID: F.clientID(1))
        let taken = wrapped.connect(connectionID: 1, clientID: F.clientID(2))
        let zero = wrapped.connect(connectionID: 0, clientID: F.clientID(2))
        let allocated = wrapped.connect(clientID: F.clientID(2))
        #expect(chosen && !taken && !zero && allocated == 2)
    }

    @Test func uidRebindMovesTheClientToTheEnd() {
        var table = F.table(clients: 3)
        for id: UInt32 in [1, 2, 3] { table.bindUID(F.bytes("42"), to: id) }
        table.bindUID(F.bytes("42"), to: 1)
        #expect(table.clientIDsByUIDReply(F.bytes("42")) == F.bytes("a:3:{i:0;i:2;i:1;i:3;i:2;i:1;}"))
        #expect(table.sendToUIDTargets(F.bytes("[42]")).connectionIDs == [2, 3, 1])  // int and "42" are one key
        table.bindUID(F.bytes("other"), to: 2)
        #expect(table.connectionIDs(boundTo: 42) == [3, 1])
        let refused = [
            table.bindUID(F.bytes("0"), to: 3), table.bindUID([], to: 3), table.bindUID(F.bytes("x"), to: 99),
        ]
        #expect(refused == [false, false, false])
        #expect(table[3]?.uid == 42)
    }

    @Test func groupRejoinKeepsPositionAndFalsyGroupsAreRefused() {
        var table = F.table(clients: 3)
        for id: UInt32 in [1, 2, 3] { table.join(group: F.bytes("g"), connectionID: id) }
        let rejoined = table.join(group: F.bytes("g"), connectionID: 1)
        #expect(!rejoined)
        #expect(table.members(of: "g") == [1, 2, 3])
        let refused = [
            table.join(group: F.bytes("0"), connectionID: 1), table.join(group: [], connectionID: 1),
            table.leave(group: F.bytes("0"), connectionID: 1), table.ungroup(F.bytes("0")),
            table.leave(group: F.bytes("nope"), connectionID: 1), table.join(group: F.bytes("g"), connectionID: 99),
        ]
        #expect(refused == [false, false, false, false, false, false])
        let left = table.leave(group: F.bytes("g"), connectionID: 1)
        let joined = table.join(group: F.bytes("g"), connectionID: 1)
        #expect(left && joined)
        #expect(table.members(of: "g") == [2, 3, 1])
        #expect(
            table.selectReply(F.bytes(#"{"fields":["groups"],"where":{"connection_id":[2]}}"#))
                == F.bytes(#"a:1:{i:2;a:1:{s:6:"groups";a:1:{s:1:"g";s:1:"g";}}}"#))
        #expect(
            table.selectReply(F.bytes(#"{"fields":["groups"]}"#))?.starts(
                with: F.bytes(#"a:3:{i:1;a:1:{s:6:"groups";a:1"#)) == true)
    }

    @Test func groupListFollowsCreationOrderAndRecreationMovesToTheEnd() {
        var table = F.table(clients: 2)
        table.join(group: F.bytes("a"), connectionID: 1)
        table.join(group: F.bytes("7"), connectionID: 1)
        table.join(group: F.bytes("07"), connectionID: 2)
        #expect(table.groupIDListReply() == F.bytes(#"a:3:{i:0;s:1:"a";i:1;i:7;i:2;s:2:"07";}"#))
        table.leave(group: F.bytes("a"), connectionID: 1)
        table.join(group: F.bytes("a"), connectionID: 2)
        #expect(table.groupIDListReply() == F.bytes(#"a:3:{i:0;i:7;i:1;s:2:"07";i:2;s:1:"a";}"#))
        table.ungroup(F.bytes("7"))
        table.join(group: F.bytes("7"), connectionID: 2)
        #expect(table.groupIDListReply() == F.bytes(#"a:3:{i:0;s:2:"07";i:1;s:1:"a";i:2;i:7;}"#))
        #expect(
            table.selectReply(F.bytes(#"{"fields":["groups"],"where":{"connection_id":[2]}}"#))
                == F.bytes(#"a:1:{i:2;a:1:{s:6:"groups";a:3:{s:2:"07";s:2:"07";s:1:"a";s:1:"a";i:7;s:1:"7";}}}"#))
    }

    @Test func removalClearsUIDAndGroupsAndDeletesEmptiedSets() {
        var table = F.labTable()
        _ = table.connect(clientID: F.clientID(2))
        table.join(group: F.bytes("room-a"), connectionID: 2)
        let removed = table.remove(1)
        let again = table.remove(1)
        #expect(removed?.session == F.bytes(F.aliceSession) && again == nil)
        #expect(table.uidMembers.isEmpty)
        #expect(table.groupIDListReply() == F.bytes(#"a:1:{i:0;s:6:"room-a";}"#))
        #expect(table.members(of: "room-a") == [2])
        #expect(table.isOnlineReply(1) == F.bytes("i:0;") && table.count == 1)
    }

    @Test func manyClientsCompactAndKeepOrder() {
        var table = GatewayClientTable()
        for id: UInt32 in 1...200 {
            _ = table.connect(clientID: F.clientID(id))
            table.join(group: F.bytes("big"), connectionID: id)
        }
        for id: UInt32 in stride(from: 1, through: 200, by: 2) { table.remove(id) }
        for id: UInt32 in stride(from: 2, through: 120, by: 2) { table.remove(id) }
        let survivors = Array(stride(from: UInt32(122), through: 200, by: 2))
        #expect(table.connectionIDs == survivors)
        #expect(Array(table.members(of: "big")) == survivors)
        #expect(table.records.count < 2 * survivors.count + 17)
        #expect(table[150]?.connectionID == 150 && table[149] == nil)
        #expect(table.clientCountByGroupReply([]) == F.bytes("i:40;"))
    }

    @Test func orderedSetIndexedFormBehavesLikeTheSmallForm() {
        var set = InsertionOrderedSet<Int>()
        var model: [Int] = []
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let value = Int.random(in: 0..<40, using: &generator)
            if Bool.random(using: &generator) {
                let added = set.append(value)
                #expect(added == !model.contains(value))
                if !model.contains(value) { model.append(value) }
            } else {
                let removed = set.remove(value)
                #expect(removed == model.contains(value))
                model.removeAll { $0 == value }
            }
            #expect(Array(set) == model && set.count == model.count)
        }
    }

    @Test func heartbeatCountersAndWorkerBinding() {
        var table = F.table(clients: 2)
        table.forEachHeartbeat { _, count in count += 2 }
        table.resetHeartbeat(of: 2)
        #expect(table[1]?.heartbeatCount == 1 && table[2]?.heartbeatCount == -1)
        table.setWorker(WorkerSlot(index: 3), for: 1)
        #expect(table[1]?.worker == WorkerSlot(index: 3) && table[2]?.worker == nil)
    }
}
