import CLiburing
import Glibc

/// A pinned OS thread running one shard's loop.
///
/// Shards are threads, not tasks: each owns a ring created on that thread (IORING_SETUP_SINGLE_ISSUER)
/// and blocks in io_uring_enter, which must not happen on the cooperative pool.
public final class ShardThread: Sendable {
    private final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    nonisolated(unsafe) private var thread = pthread_t()

    /// Starts `body` on a new thread pinned to `cpu` (nil: not pinned).
    public init(name: String, cpu: Int?, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(
            Box({
                if let cpu { _ = CLiburing_pin_current_thread(Int32(cpu)) }
                CLiburing_name_current_thread(String(name.prefix(15)))
                body()
            }))
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        let result = pthread_create(
            &thread, &attributes,
            { raw in
                let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, box.toOpaque())
        precondition(result == 0, "pthread_create failed: \(result)")
    }

    /// Waits for the thread to finish.
    public func join() {
        pthread_join(thread, nil)
    }
}
