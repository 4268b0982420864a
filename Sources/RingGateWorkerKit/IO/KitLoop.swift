import Dispatch
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The SwiftNIO event loop a `BusinessWorker` or `GatewayClient` runs on, with the lifecycle the kit
/// needs on top of it: jobs from other threads that are cancelled (never lost) once the kit stopped,
/// timers that do not fire after a stop, and a stop that closes every connection the kit opened.
///
/// The loop is either the caller's (an application's `EventLoopGroup`: the kit's connections then share
/// its threads) or a one-thread `MultiThreadedEventLoopGroup` the kit owns and shuts down when it stops.
/// Everything but `execute`, `isCurrent`, `requestStop` and `waitUntilStopped` belongs to the loop
/// thread; objects holding loop state are reached from other threads only through `LoopBound`.
final class KitLoop: Sendable {
    private enum Phase { case running, stopping, stopped }

    private struct Shared {
        var phase = Phase.running
        var terminationWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Loop-thread state.
    private final class LoopState {
        var stopped = false
        var connections: [ObjectIdentifier: LoopConnection] = [:]
        var stopHandlers: [() -> Void] = []
    }

    let name: String
    let logger: Logger
    /// The NIO loop every connection and timer of this kit runs on.
    let nioLoop: any EventLoop
    private let ownedGroup: MultiThreadedEventLoopGroup?
    private let shared = Mutex(Shared())
    private let state: NIOLoopBoundBox<LoopState>

    /// A kit loop on `group.next()`, or on a new one-thread group of its own when `group` is nil.
    init(name: String, logger: Logger, group: (any EventLoopGroup)?) {
        self.name = name
        self.logger = logger
        if let group {
            ownedGroup = nil
            nioLoop = group.next()
        } else {
            let owned = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            ownedGroup = owned
            nioLoop = owned.next()
        }
        state = NIOLoopBoundBox.makeBoxSendingValue(LoopState(), eventLoop: nioLoop)
    }

    /// Whether the caller runs on this loop's thread.
    var isCurrent: Bool { nioLoop.inEventLoop }

    /// The current time (timers and query deadlines use the continuous clock).
    var now: ContinuousClock.Instant { ContinuousClock.now }

    /// Runs `job` on the loop thread. If the kit has stopped, or stops before running it, `cancel` runs
    /// instead (on the caller's thread or the loop's), so nobody waits forever.
    func execute(_ job: @escaping @Sendable () -> Void, ifStopped cancel: (@Sendable () -> Void)? = nil) {
        let accepted = shared.withLock { shared in
            guard shared.phase == .running else { return false }
            // Submitted under the lock: the owned group is shut down only after the phase left `.running`.
            nioLoop.execute { [state] in
                if state.value.stopped { cancel?() } else { job() }
            }
            return true
        }
        if !accepted { cancel?() }
    }

    /// Asks the kit to close every connection and stop; safe from any thread, idempotent.
    func requestStop() {
        let submit = shared.withLock { shared in
            guard shared.phase == .running else { return false }
            shared.phase = .stopping
            nioLoop.execute { [self] in stopOnLoop() }
            return true
        }
        _ = submit
    }

    /// Returns once the kit has stopped (and its own thread, if it had one, has ended).
    func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = shared.withLock { shared in
                guard shared.phase != .stopped else { return true }
                shared.terminationWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: Loop-thread API

    /// Runs `action` after `delay`, on the loop thread, unless the kit stopped first.
    func schedule(after delay: Duration, _ action: @escaping () -> Void) {
        let state = state.value
        nioLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) {
            if !state.stopped { action() }
        }
    }

    /// Runs `action` at `deadline` (at once if it passed), on the loop thread.
    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) {
        schedule(after: deadline - now, action)
    }

    /// Runs `action` later on the loop thread, after the reads of the current loop iteration: replies a
    /// handler queued for several events go out in one write.
    func runSoon(_ action: @escaping () -> Void) {
        let state = state.value
        nioLoop.assumeIsolated().execute {
            if !state.stopped { action() }
        }
    }

    /// Runs `handler` when the kit stops, after every connection was closed.
    func onStop(_ handler: @escaping () -> Void) {
        state.value.stopHandlers.append(handler)
    }

    /// Tracks `connection` so a stop closes it.
    func register(_ connection: LoopConnection) {
        state.value.connections[ObjectIdentifier(connection)] = connection
    }

    /// Stops tracking `connection` (it closed).
    func unregister(_ connection: LoopConnection) {
        state.value.connections[ObjectIdentifier(connection)] = nil
    }

    /// Whether the kit stopped (loop thread): connections opened from now on close at once.
    var isStopped: Bool { state.value.stopped }

    private func stopOnLoop() {
        let loopState = state.value
        guard !loopState.stopped else { return }
        loopState.stopped = true
        for connection in Array(loopState.connections.values) { connection.close(.shutdown) }
        loopState.connections.removeAll()
        let handlers = loopState.stopHandlers
        loopState.stopHandlers.removeAll()
        for handler in handlers { handler() }
        logger.debug("worker kit stopped", metadata: ["loop": "\(name)"])
        guard let ownedGroup else { return finishStop() }
        // The owned thread ends after this task returns; waiters resume once it has.
        ownedGroup.shutdownGracefully(queue: .global()) { [self] _ in finishStop() }
    }

    private func finishStop() {
        let waiters = shared.withLock { shared in
            shared.phase = .stopped
            defer { shared.terminationWaiters.removeAll() }
            return shared.terminationWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A loop-thread object that other threads may hold but not touch: `value` checks the thread.
final class LoopBound<Value>: @unchecked Sendable {
    let loop: KitLoop
    private let wrapped: Value

    init(_ value: Value, loop: KitLoop) {
        self.wrapped = value
        self.loop = loop
    }

    /// The object; only on the loop thread.
    var value: Value {
        precondition(loop.isCurrent, "a loop-bound object is used on its loop thread only")
        return wrapped
    }

    /// The object without the thread check, for code that runs before the loop thread uses it
    /// (construction, tests).
    var valueBeforeStart: Value { wrapped }
}

extension TimeAmount {
    /// `duration` in NIO's unit (negative durations become zero).
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
    }
}
