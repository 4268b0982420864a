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
        ring.armTick(afterNanoseconds: Int64(tickNanoseconds), tag: CompletionTag(kind: .tick))
        ring.pollReadableMultishot(descriptor: wakeupDescriptor, tag: CompletionTag(kind: .wakeup))
        while !handler.isFinished {
            ring.submitAndWait(minimumCompletions: 1)
            var handled = 0
            repeat {
                handled = ring.drainCompletions { completion in
                    switch completion.tag.kind {
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
            } while handled > 0
            io.receiveBuffers.publish()
            handler.turnFinished()
            turnCount &+= 1
        }
        // Let the kernel see what the last turn prepared (closes, cancels) before the ring goes away.
        ring.submit()
    }
}
