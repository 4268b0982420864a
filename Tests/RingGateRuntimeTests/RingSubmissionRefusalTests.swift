import CLiburing
import Glibc
import Testing

@testable import RingGateRuntime

/// A kernel that refuses submissions (EAGAIN/ENOMEM/EBUSY under memory pressure or a completion
/// backlog) must not kill the shard: prepared entries wait in the ring's spill list and every one of
/// them completes once the kernel takes work again. The refusals are injected (they cannot be provoked
/// on demand); the ring, its queue and the completions are real.
@Suite(.timeLimit(.minutes(1)))
struct RingSubmissionRefusalTests {
    @Test func entriesPreparedWhileTheKernelRefusesAreSubmittedLater() throws {
        try #require(RingTests.available || getenv("CI") == nil, "io_uring is unavailable under CI")
        guard RingTests.available else { return }
        let ring = try Ring(entries: 4, completionEntries: 64)
        // Every submit of this turn is refused: the 4-entry queue fills, then the rest is spilled.
        ring.injectedSubmitFailures = Array(repeating: -EAGAIN, count: 8)
        let total = 20
        for index in 0..<total { prepareNop(ring, slot: UInt32(index)) }
        #expect(ring.spilledCount > 0)
        #expect(ring.submitRefusalCount > 0)
        ring.injectedSubmitFailures = []
        var seen: Set<UInt32> = []
        for _ in 0..<50 where seen.count < total {
            ring.submitAndWait(minimumCompletions: 1)
            _ = ring.drainCompletions { seen.insert($0.tag.slot) }
        }
        #expect(seen == Set(0..<UInt32(total)))
        #expect(ring.spilledCount == 0)
    }

    @Test func aRefusedSubmitAndWaitKeepsTheQueuedEntries() throws {
        try #require(RingTests.available || getenv("CI") == nil, "io_uring is unavailable under CI")
        guard RingTests.available else { return }
        let ring = try Ring(entries: 8, completionEntries: 16)
        prepareNop(ring, slot: 7)
        ring.injectedSubmitFailures = [-ENOMEM]
        #expect(ring.submitAndWait(minimumCompletions: 0) == -ENOMEM)
        #expect(ring.submitRefusalCount == 1)
        var seen: [UInt32] = []
        for _ in 0..<10 where seen.isEmpty {
            ring.submitAndWait(minimumCompletions: 1)
            _ = ring.drainCompletions { seen.append($0.tag.slot) }
        }
        #expect(seen == [7])
    }

    private func prepareNop(_ ring: Ring, slot: UInt32) {
        let sqe = ring.nextSubmission()
        io_uring_prep_nop(sqe)
        sqe.pointee.user_data = CompletionTag(kind: .tick, slot: slot).rawValue
    }
}

/// A tiny completion queue flooded with completions: the kernel keeps the overflow (IORING_FEAT_NODROP)
/// and every completion is delivered once the loop enters the kernel again; none is dropped.
@Suite(.timeLimit(.minutes(1)))
struct RingCompletionOverflowTests {
    @Test func overflowedCompletionsAreAllDelivered() throws {
        try #require(RingTests.available || getenv("CI") == nil, "io_uring is unavailable under CI")
        guard RingTests.available else { return }
        let ring = try Ring(entries: 8, completionEntries: 8)
        #expect(ring.keepsOverflowedCompletions)
        let total = 200
        for index in 0..<total {
            let sqe = ring.nextSubmission()
            io_uring_prep_nop(sqe)
            sqe.pointee.user_data = CompletionTag(kind: .tick, slot: UInt32(index)).rawValue
        }
        ring.submit()
        #expect(ring.hasOverflowed)
        var seen: Set<UInt32> = []
        for _ in 0..<100 where seen.count < total {
            ring.submitAndWait(minimumCompletions: 1)
            _ = ring.drainCompletions { seen.insert($0.tag.slot) }
        }
        #expect(seen.count == total)
        #expect(ring.droppedCompletionCount == 0)
    }
}
