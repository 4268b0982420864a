import CLiburing
import Glibc
import RingGateRuntime
import Testing

/// Real rings on loopback. io_uring is probed once: outside CI a machine without it skips these tests;
/// under CI its absence is a failure.
@Suite(.timeLimit(.minutes(1)))
struct RingTests {
    static let available = (try? Ring(entries: 8, completionEntries: 16)) != nil

    /// The shard's upstream ring is waited for through a multishot poll on its descriptor armed in the
    /// client ring: a completion on the upstream ring must wake the client ring.
    @Test func pollableRingWakesTheRingThatPollsIt() throws {
        try #require(Self.available || getenv("CI") == nil, "io_uring is unavailable under CI")
        guard Self.available else { return }
        let client = try Ring(entries: 16, completionEntries: 64)
        let upstream = try Ring(entries: 16, completionEntries: 64, pollable: true)
        let pollTag = CompletionTag(kind: .wakeup, slot: 1)
        client.pollReadableMultishot(descriptor: upstream.descriptor, tag: pollTag)
        client.submit()
        let tickTag = CompletionTag(kind: .tick, slot: 2)
        upstream.armTick(afterNanoseconds: 20_000_000, tag: tickTag)
        upstream.submit()
        client.submitAndWait(minimumCompletions: 1)
        var woken: [CompletionTag] = []
        _ = client.drainCompletions { woken.append($0.tag) }
        #expect(woken.contains(pollTag))
        var upstreamCompletions: [Completion] = []
        _ = upstream.drainCompletions { upstreamCompletions.append($0) }
        #expect(upstreamCompletions.map(\.tag) == [tickTag])
        #expect(upstreamCompletions.first?.result == -ETIME)
    }
}
