import Glibc

/// Starts an OS thread for an `EventLoop`.
///
/// A loop blocks in `poll(2)`, which must not happen on Swift's cooperative pool, so it gets a thread
/// of its own. The thread is detached: the loop reports its end through `EventLoop`'s termination
/// waiters instead of `pthread_join`.
///
/// Safety: one of the kit's four unsafe owners. The body is boxed and passed to `pthread_create` as a
/// retained opaque pointer; the new thread takes that retain back exactly once (`takeRetainedValue`),
/// and if the thread cannot be created the retain is released here instead.
enum LoopThread {
    private final class Box: Sendable {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Runs `body` on a new detached thread. (`name` is for logs: Glibc as Swift imports it has no
    /// `pthread_setname_np`.)
    static func start(name: String, _ body: @escaping @Sendable () -> Void) throws(GatewayKitError) {
        let box = unsafe Unmanaged.passRetained(Box(name: name, body: body))
        var thread = pthread_t()
        let result = unsafe pthread_create(
            &thread, nil,
            { raw in
                let box = unsafe Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
                box.body()
                return nil
            }, unsafe box.toOpaque())
        guard result == 0 else {
            unsafe box.release()
            throw .system(operation: "pthread_create", errno: result)
        }
        pthread_detach(thread)
    }

    /// The calling thread's id, compared by `EventLoop.isCurrent`.
    static var currentID: UInt { UInt(pthread_self()) }
}
