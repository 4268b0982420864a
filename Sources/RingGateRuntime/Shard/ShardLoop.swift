import CLiburing
import Glibc

/// What a shard's loop calls back into. Implemented by the gateway layer; runs on the shard thread.
public protocol ShardHandler: AnyObject {
    /// A completion for an operation the handler submitted.
    func completed(_ completion: Completion)
    /// The tick timeout fired; `now` is CLOCK_MONOTONIC nanoseconds.
    func tick(now: UInt64)
    /// Another thread posted to the shard's mailbox.
    func mailboxSignalled()
    /// A batch of completions was handled; flush deferred work (re-arms, sends).
    func turnFinished()
    /// Checked after every turn; true ends the loop.
    var isFinished: Bool { get }
    /// A second ring of this thread (a shard's upstream ring), created pollable. The loop sleeps only
    /// in the main ring, with this ring's descriptor polled from it, and drains this ring first on
    /// every turn, so its traffic never waits behind the main ring's.
    var upstreamRing: Ring? { get }
    /// A completion from `upstreamRing`.
    func upstreamCompleted(_ completion: Completion)
    /// After `turnFinished`: how long the turn worked (wake-up to end, not the wait), and whether a
    /// completion queue had overflowed into the kernel's backlog. For metrics.
    func turnMeasured(busyNanoseconds: UInt64, completionQueueOverflowed: Bool)
}

extension ShardHandler {
    public var upstreamRing: Ring? { nil }
    public func upstreamCompleted(_ completion: Completion) {}
    public func turnMeasured(busyNanoseconds: UInt64, completionQueueOverflowed: Bool) {}
}

/// One shard's event loop: one `io_uring_enter` per turn that both submits the turn's work and waits
/// for completions, then completions handled in batches.
///
/// Its counters skip Swift's runtime exclusivity checks, as `Ring`'s state does (same reasons).
public final class ShardLoop {
    public let io: ShardIO
    public let tickNanoseconds: UInt64
    private let wakeupDescriptor: Int32
    /// Turns completed, for metrics.
    @exclusivity(unchecked)
    public private(set) var turnCount: UInt64 = 0
    /// Completions handled, for metrics.
    @exclusivity(unchecked)
    public private(set) var completionCount: UInt64 = 0

    public init(io: ShardIO, tickNanoseconds: UInt64, wakeupDescriptor: Int32) {
        self.io = io
        self.tickNanoseconds = tickNanoseconds
        self.wakeupDescriptor = wakeupDescriptor
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Runs until `handler.isFinished` (a thread with one shard).
    public func run(_ handler: some ShardHandler) {
        Self.run(group: [(self, handler)])
    }

    /// Runs several shards on this thread until every one is finished. The first member's ring is the one
    /// the thread sleeps in; every other member's ring (created pollable) is polled from it, so a completion
    /// on any ring wakes the thread, and each turn drains every ring. Each member keeps its own ring, file
    /// table, buffers, tick and mailbox: grouping changes who waits, not what a shard owns.
    public static func run<Handler: ShardHandler>(group members: [(loop: ShardLoop, handler: Handler)]) {
        guard let primary = members.first?.loop.io.ring else { return }
        for (index, member) in members.enumerated() {
            member.loop.arm(member.handler)
            if index > 0 { armMemberPoll(on: primary, member: member.loop, index: index) }
        }
        var finished = members.map { $0.handler.isFinished }
        while finished.contains(false) {
            var refused = false
            for (index, member) in members.enumerated() where index > 0 && !finished[index] {
                refused = member.loop.submitWithoutWaiting(member.handler) || refused
            }
            let primaryUpstreamRefused = members[0].handler.upstreamRing.map { Ring.isRefusal($0.submit()) } ?? false
            refused = Ring.isRefusal(primary.submitAndWait(minimumCompletions: 1)) || primaryUpstreamRefused || refused
            let wokeAt = now()
            var handledThisTurn = 0
            var handled = 0
            repeat {
                handled = 0
                for (index, member) in members.enumerated() {
                    handled += member.loop.drainOnce(member.handler, dropping: finished[index]) { completion in
                        // Only the primary ring carries member polls.
                        guard completion.tag.kind == .memberRingReady else { return false }
                        if !completion.hasMore {
                            armMemberPoll(
                                on: primary, member: members[Int(completion.tag.slot)].loop,
                                index: Int(completion.tag.slot))
                        }
                        return true
                    }
                }
                handledThisTurn += handled
            } while handled > 0
            // The kernel took nothing and woke nobody: retry next turn, without spinning a core.
            if refused && handledThisTurn == 0 { usleep(1_000) }
            for (index, member) in members.enumerated() where !finished[index] {
                member.loop.finishTurn(member.handler, wokeAt: wokeAt)
                if member.handler.isFinished {
                    finished[index] = true
                    // Let the kernel see what the last turn prepared (closes, cancels) before the ring goes away.
                    member.handler.upstreamRing?.submit()
                    member.loop.io.ring.submit()
                }
            }
        }
    }

    private static func armMemberPoll(on primary: Ring, member: ShardLoop, index: Int) {
        primary.pollReadableMultishot(
            descriptor: member.io.ring.descriptor, tag: CompletionTag(kind: .memberRingReady, slot: UInt32(index)))
    }

    /// The loop's standing operations: the tick, the mailbox's wake-up and the poll on the upstream ring.
    private func arm(_ handler: some ShardHandler) {
        let ring = io.ring
        ring.armTick(afterNanoseconds: Int64(tickNanoseconds), tag: CompletionTag(kind: .tick))
        ring.pollReadableMultishot(descriptor: wakeupDescriptor, tag: CompletionTag(kind: .wakeup))
        if let upstream = handler.upstreamRing {
            ring.pollReadableMultishot(descriptor: upstream.descriptor, tag: CompletionTag(kind: .upstreamReady))
        }
    }

    /// Submits this member's rings without waiting (a member other than the one the thread sleeps in);
    /// true when the kernel refused.
    private func submitWithoutWaiting(_ handler: some ShardHandler) -> Bool {
        let upstreamRefused = handler.upstreamRing.map { Ring.isRefusal($0.submit()) } ?? false
        return Ring.isRefusal(io.ring.submit()) || upstreamRefused
    }

    /// Hands one batch of this member's completions (upstream ring first) to its handler; returns how many
    /// there were. `dropping`: the handler has finished, completions are only taken off the rings.
    /// `groupCompletion` sees each main-ring completion first and returns true for those it handled.
    private func drainOnce(
        _ handler: some ShardHandler, dropping: Bool, groupCompletion: (Completion) -> Bool
    ) -> Int {
        let ring = io.ring
        var handled = 0
        if let upstream = handler.upstreamRing {
            handled = dropping ? upstream.drainCompletions { _ in } : drainUpstream(upstream, handler)
        }
        handled += ring.drainCompletions { completion in
            if groupCompletion(completion) || dropping { return }
            switch completion.tag.kind {
            case .upstreamReady:
                if !completion.hasMore, let upstream = handler.upstreamRing {
                    ring.pollReadableMultishot(
                        descriptor: upstream.descriptor, tag: CompletionTag(kind: .upstreamReady))
                }
            case .tick:
                ring.armTick(afterNanoseconds: Int64(tickNanoseconds), tag: CompletionTag(kind: .tick))
                handler.tick(now: Self.now())
            case .wakeup:
                if !completion.hasMore {
                    ring.pollReadableMultishot(descriptor: wakeupDescriptor, tag: CompletionTag(kind: .wakeup))
                }
                handler.mailboxSignalled()
            default:
                handler.completed(completion)
            }
        }
        completionCount &+= UInt64(handled)
        // Buffers this batch recycled go back to the kernel now, not at the end of the turn: with several
        // shards on a thread a turn can last many batches, and a ring without buffers fails its receives.
        if handled > 0 { io.receiveBuffers.publish() }
        return handled
    }

    /// End of a turn for one member: buffers back to the kernel, deferred work flushed, figures taken.
    private func finishTurn(_ handler: some ShardHandler, wokeAt: UInt64) {
        io.receiveBuffers.publish()
        handler.turnFinished()
        turnCount &+= 1
        handler.turnMeasured(
            busyNanoseconds: Self.now() &- wokeAt,
            completionQueueOverflowed: io.ring.hasOverflowed || handler.upstreamRing?.hasOverflowed == true)
    }

    /// Hands every completion waiting on the upstream ring to the handler; returns how many.
    private func drainUpstream(_ upstream: Ring, _ handler: some ShardHandler) -> Int {
        var total = 0
        while true {
            let handled = upstream.drainCompletions { handler.upstreamCompleted($0) }
            guard handled > 0 else { return total }
            total += handled
        }
    }
}
