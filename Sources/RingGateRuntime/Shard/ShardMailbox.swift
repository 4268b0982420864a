import CLiburing
import Glibc
import Synchronization

/// Messages to a shard from other threads (stop, status requests), with an eventfd that wakes the
/// shard's ring. Off the hot path by construction: shards never message each other per client message.
public final class ShardMailbox<Message: Sendable>: Sendable {
    private let pending = Mutex<[Message]>([])
    /// Polled by the shard's ring (multishot POLLIN).
    public let eventDescriptor: Int32

    public init() throws(SystemError) {
        eventDescriptor = try retryingSyscall("eventfd") { eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK)) }
    }

    deinit { close(eventDescriptor) }

    /// Queues `message` and wakes the shard.
    public func post(_ message: Message) {
        pending.withLock { $0.append(message) }
        var one: UInt64 = 1
        _ = write(eventDescriptor, &one, 8)
    }

    /// Takes every queued message (called by the shard after its wake-up poll fired).
    public func takeAll() -> [Message] {
        var counter: UInt64 = 0
        _ = read(eventDescriptor, &counter, 8)
        return pending.withLock { messages in
            defer { messages.removeAll() }
            return messages
        }
    }
}
