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
public final class ShardLoop {
    public let io: ShardIO
    public let tickNanoseconds: UInt64
    private let wakeupDescriptor: Int32
    /// Turns completed, for metrics.
    public private(set) var turnCount: UInt64 = 0
    /// Completions handled, for metrics.
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

    /// Runs until `handler.isFinished`.
    public func run(_ handler: some ShardHandler) {
        let ring = io.ring
        let upstream = handler.upstreamRing
        ring.armTick(afterNanoseconds: Int64(tickNanoseconds), tag: CompletionTag(kind: .tick))
        ring.pollReadableMultishot(descriptor: wakeupDescriptor, tag: CompletionTag(kind: .wakeup))
        if let upstream {
            ring.pollReadableMultishot(descriptor: upstream.descriptor, tag: CompletionTag(kind: .upstreamReady))
        }
        while !handler.isFinished {
            let upstreamRefused = upstream.map { Ring.isRefusal($0.submit()) } ?? false
            let refused = Ring.isRefusal(ring.submitAndWait(minimumCompletions: 1)) || upstreamRefused
            let wokeAt = Self.now()
            var handled = 0
            var handledThisTurn = 0
            repeat {
                handled = upstream.map { drainUpstream($0, handler) } ?? 0
                handled += ring.drainCompletions { completion in
                    switch completion.tag.kind {
                    case .upstreamReady:
                        if !completion.hasMore, let upstream {
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
                handledThisTurn += handled
            } while handled > 0
            // The kernel took nothing and woke nobody: retry next turn, without spinning a core.
            if refused && handledThisTurn == 0 { usleep(1_000) }
            io.receiveBuffers.publish()
            handler.turnFinished()
            turnCount &+= 1
            handler.turnMeasured(
                busyNanoseconds: Self.now() &- wokeAt,
                completionQueueOverflowed: ring.hasOverflowed || upstream?.hasOverflowed == true)
        }
        // Let the kernel see what the last turn prepared (closes, cancels) before the ring goes away.
        upstream?.submit()
        ring.submit()
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
