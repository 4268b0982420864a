import RingGateRuntime
import Testing

struct TimingWheelTests {
    @Test func firesAtTheDeadlineTickAndNotBefore() {
        var wheel = TimingWheel(tickNanoseconds: 100, slotCount: 8)
        wheel.schedule(1, afterNanoseconds: 250)  // 3 ticks
        wheel.schedule(2, afterNanoseconds: 1)  // at least one tick
        var fired: [UInt64] = []
        wheel.advance(to: 1) { fired.append($0) }
        #expect(fired == [2])
        wheel.advance(to: 2) { fired.append($0) }
        #expect(fired == [2])
        wheel.advance(to: 3) { fired.append($0) }
        #expect(fired == [2, 1])
        #expect(wheel.count == 0)
    }

    @Test func deadlinesBeyondOneRevolutionWaitForTheirRound() {
        var wheel = TimingWheel(tickNanoseconds: 10, slotCount: 4)
        wheel.schedule(7, afterNanoseconds: 90)  // tick 9: same slot as tick 1 and 5
        var fired: [UInt64] = []
        wheel.advance(to: 5) { fired.append($0) }
        #expect(fired.isEmpty)
        wheel.advance(to: 9) { fired.append($0) }
        #expect(fired == [7])
    }

    @Test func aLongJumpFiresEverythingDue() {
        var wheel = TimingWheel(tickNanoseconds: 10, slotCount: 4)
        for payload in 0..<10 { wheel.schedule(UInt64(payload), afterNanoseconds: UInt64(payload + 1) * 10) }
        var fired: [UInt64] = []
        wheel.advance(to: 1000) { fired.append($0) }
        #expect(fired.sorted() == Array(0..<10))
    }
}

struct CompletionTagTests {
    @Test func roundTripsThroughUserData() {
        let tag = CompletionTag(kind: .send, generation: 0x12_3456, slot: 0xDEAD_BEEF)
        #expect(CompletionTag(rawValue: tag.rawValue) == tag)
        #expect(tag.rawValue == 0x0312_3456_DEAD_BEEF)
        // Only 24 bits of generation travel: a wrapped generation compares equal to its low bits.
        #expect(CompletionTag(kind: .send, generation: 0x0100_0001).generation == 1)
    }
}

@Suite struct TimingWheelStartTests {
    /// A shard's wheel starts at the clock's current tick: a timer armed before the first advance is
    /// not due at once (the register retry and handshake timeouts were, when the wheel began at 0).
    @Test func entriesScheduledBeforeTheFirstAdvanceWaitTheirDelay() {
        var wheel = TimingWheel(tickNanoseconds: 100, slotCount: 8, startTick: 1_000_000)
        wheel.schedule(7, afterNanoseconds: 1000)
        var fired: [UInt64] = []
        wheel.advance(to: 1_000_005) { fired.append($0) }
        #expect(fired.isEmpty)
        wheel.advance(to: 1_000_010) { fired.append($0) }
        #expect(fired == [7])
    }

    @Test func aBurstsSlotStorageIsReleasedOnceFired() {
        var wheel = TimingWheel(tickNanoseconds: 100, slotCount: 8)
        for payload in 0..<1_000 as Range<UInt64> { wheel.schedule(payload, afterNanoseconds: 100) }
        #expect(wheel.takeReleasedBytes() == 0)
        var fired = 0
        wheel.advance(to: 1) { _ in fired += 1 }
        #expect(fired == 1_000 && wheel.count == 0)
        #expect(wheel.takeReleasedBytes() >= 1_000 * 16)
        #expect(wheel.takeReleasedBytes() == 0)
        // A slot that held a few entries gives them back too: 512 slots per shard, each keeping a little,
        // added up to 30 B per connection after a million connects on 58 shards.
        for payload in 0..<10 as Range<UInt64> { wheel.schedule(payload, afterNanoseconds: 100) }
        wheel.advance(to: 2) { _ in }
        #expect(wheel.takeReleasedBytes() >= 10 * 16)
        // A slot that fired nothing has nothing to give back.
        wheel.advance(to: 3) { _ in }
        #expect(wheel.takeReleasedBytes() == 0)
    }
}
