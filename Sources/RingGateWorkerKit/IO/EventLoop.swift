import Glibc
import Logging
import Synchronization

/// One thread that owns a few TCP connections and runs everything that touches them.
///
/// Each turn: `poll` (sleeping until a descriptor is ready, a timer is due or another thread wakes it),
/// read every ready connection and hand its bytes to the connection's protocol code, run jobs other
/// threads submitted, fire due timers, then write every connection that gained output — one `send`
/// per connection per turn however many commands were queued, which is where replies to a burst of
/// events get batched.
///
/// Threading: `execute`, `isCurrent`, `start`, `requestStop` and `waitUntilStopped` may be called from
/// any thread. Everything else (`register`, `schedule`, `markDirty`, the connection table) belongs to
/// the loop thread; objects holding such state are reached from other threads only through
/// `LoopBound`, which checks the thread.
final class EventLoop: @unchecked Sendable {
    /// Work submitted from any thread: `run` on the loop thread, or `cancel` (on the caller's
    /// thread or at loop exit) when the loop is not running, so nobody waits forever.
    struct Job: Sendable {
        var run: @Sendable () -> Void
        var cancel: (@Sendable () -> Void)?
    }

    private enum Phase { case notStarted, running, stopped }

    private struct Shared {
        var phase = Phase.notStarted
        var jobs: [Job] = []
        var terminationWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let name: String
    let logger: Logger
    private let shared = Mutex(Shared())
    private let wakePending = Atomic<Bool>(false)
    private let threadID = Atomic<UInt>(0)
    private let wakePipe: Poller.WakePipe

    // Loop-thread state.
    private var pollEntries: [pollfd]
    private var connections: [LoopConnection?] = [nil]  // index 0: the wake pipe
    private var needsCompaction = false
    private var dirty: [LoopConnection] = []
    /// The dirty list being written (swapped with `dirty`, so neither is reallocated per turn).
    private var flushing: [LoopConnection] = []
    private var deferred: [() -> Void] = []
    private var timers = TimerQueue()
    private var scratch: [UInt8] = []
    private var spareJobs: [Job] = []
    private var stopRequested = false
    private var stopHandlers: [() -> Void] = []
    /// The time at the start of the current turn's work (after `poll` returned).
    private(set) var now = ContinuousClock.now

    /// Bytes read per `recv`.
    static let receiveBufferByteCount = 65_536

    init(name: String, logger: Logger) throws(GatewayKitError) {
        self.name = name
        self.logger = logger
        wakePipe = try Poller.makeWakePipe()
        pollEntries = [pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0)]
    }

    deinit {
        Poller.close(wakePipe)
    }

    /// Whether the caller runs on this loop's thread.
    var isCurrent: Bool { threadID.load(ordering: .relaxed) == LoopThread.currentID }

    /// Starts the loop thread. Jobs submitted before are kept and run first.
    /// Returns false (and does nothing) when the loop was started or stopped before.
    @discardableResult
    func start() throws(GatewayKitError) -> Bool {
        let fresh = shared.withLock { state in
            guard state.phase == .notStarted else { return false }
            state.phase = .running
            return true
        }
        guard fresh else { return false }
        do {
            try LoopThread.start(name: name) { [self] in run() }
        } catch {
            shared.withLock { $0.phase = .notStarted }
            throw error
        }
        return true
    }

    /// Runs `job` on the loop thread (later in the current turn when called from it). If the loop
    /// has stopped, or stops before running it, `cancel` runs instead.
    func execute(_ job: @escaping @Sendable () -> Void, ifStopped cancel: (@Sendable () -> Void)? = nil) {
        let accepted = shared.withLock { state in
            guard state.phase != .stopped else { return false }
            state.jobs.append(Job(run: job, cancel: cancel))
            return true
        }
        guard accepted else {
            cancel?()
            return
        }
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) { Poller.wake(wakePipe) }
    }

    /// Asks the loop to close every connection and exit after the current turn; safe from any thread.
    /// A loop that never started is marked stopped at once.
    func requestStop() {
        let cancelled: [Job]? = shared.withLock { state in
            guard state.phase == .notStarted else { return nil }
            state.phase = .stopped
            defer { state.jobs.removeAll() }
            return state.jobs
        }
        if let cancelled {
            for job in cancelled { job.cancel?() }
            return
        }
        execute({ [self] in stopRequested = true })
    }

    /// Returns once the loop thread has finished (at once if it never started and was stopped).
    func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = shared.withLock { state in
                guard state.phase != .stopped else { return true }
                state.terminationWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: Loop-thread API

    /// Runs `action` after `delay`, on the loop thread.
    func schedule(after delay: Duration, _ action: @escaping () -> Void) {
        timers.schedule(at: now + delay, action)
    }

    /// Runs `action` at `deadline` (or at once in the next turn if it passed), on the loop thread.
    func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) {
        timers.schedule(at: deadline, action)
    }

    /// Runs `action` later in the current turn (after the event being handled), on the loop thread.
    func runSoon(_ action: @escaping () -> Void) {
        deferred.append(action)
    }

    /// Runs `handler` when the loop stops, after every connection was closed.
    func onStop(_ handler: @escaping () -> Void) {
        stopHandlers.append(handler)
    }

    /// Adds `connection`'s socket to the poll set with the given interest.
    func register(_ connection: LoopConnection, descriptor: Int32, events: Int16) {
        connection.pollIndex = pollEntries.count
        pollEntries.append(pollfd(fd: descriptor, events: events, revents: 0))
        connections.append(connection)
    }

    /// Changes what `connection` is polled for.
    func setInterest(_ connection: LoopConnection, events: Int16) {
        guard connection.pollIndex > 0 else { return }
        pollEntries[connection.pollIndex].events = events
    }

    /// Removes `connection` from the poll set (the entry is reclaimed at the end of the turn).
    func unregister(_ connection: LoopConnection) {
        let index = connection.pollIndex
        guard index > 0 else { return }
        connections[index] = nil
        pollEntries[index].fd = -1
        connection.pollIndex = 0
        needsCompaction = true
    }

    /// Queues `connection` to be written at the end of the turn.
    func markDirty(_ connection: LoopConnection) {
        dirty.append(connection)
    }

    /// Lends the receive buffer to `body` (taken out of the loop while lent, so a nested use would get a
    /// fresh one instead of aliasing it).
    func withReceiveBuffer<Result>(_ body: (inout [UInt8]) -> Result) -> Result {
        var buffer = scratch
        scratch = []
        if buffer.isEmpty { buffer = [UInt8](repeating: 0, count: Self.receiveBufferByteCount) }
        defer { scratch = buffer }
        return body(&buffer)
    }

    // MARK: The loop

    private func run() {
        threadID.store(LoopThread.currentID, ordering: .relaxed)
        logger.debug("event loop started", metadata: ["loop": "\(name)"])
        while !stopRequested {
            let hasWork = !deferred.isEmpty || wakePending.load(ordering: .relaxed)
            let timeout = hasWork ? 0 : timers.pollTimeoutMilliseconds(now: ContinuousClock.now)
            let ready = Poller.wait(&pollEntries, timeoutMilliseconds: timeout)
            now = ContinuousClock.now
            if ready > 0 { dispatchReady() }
            runJobs()
            while let action = timers.popDue(now: now) { action() }
            finishTurn()
        }
        shutDown()
    }

    private func dispatchReady() {
        if pollEntries[0].revents != 0 {
            pollEntries[0].revents = 0
            Poller.drain(wakePipe)
        }
        let count = pollEntries.count
        var index = 1
        while index < count {
            let events = pollEntries[index].revents
            if events != 0 {
                pollEntries[index].revents = 0
                connections[index]?.handleReady(events: events)
            }
            index += 1
        }
    }

    private func runJobs() {
        // Another thread sets the flag after queueing and before writing the pipe, so a false flag
        // means either nothing is queued or its wake-up byte is on the way: no lock on idle turns.
        guard wakePending.exchange(false, ordering: .acquiringAndReleasing) else { return }
        var jobs = spareJobs
        shared.withLock { state in swap(&jobs, &state.jobs) }
        for job in jobs { job.run() }
        jobs.removeAll(keepingCapacity: true)
        spareJobs = jobs
    }

    /// Runs deferred actions and writes dirty connections until neither produces more work.
    private func finishTurn() {
        var rounds = 0
        repeat {
            while !deferred.isEmpty {
                let actions = deferred
                deferred.removeAll()
                for action in actions { action() }
            }
            swap(&dirty, &flushing)
            for connection in flushing { connection.flushMarked() }
            flushing.removeAll(keepingCapacity: true)
            rounds += 1
        } while (!deferred.isEmpty || !dirty.isEmpty) && rounds < 16
        if needsCompaction { compact() }
    }

    private func compact() {
        needsCompaction = false
        var write = 1
        for read in 1..<pollEntries.count {
            guard let connection = connections[read] else { continue }
            pollEntries[write] = pollEntries[read]
            connections[write] = connection
            connection.pollIndex = write
            write += 1
        }
        pollEntries.removeLast(pollEntries.count - write)
        connections.removeLast(connections.count - write)
    }

    private func shutDown() {
        now = ContinuousClock.now
        for connection in connections.compactMap({ $0 }) { connection.close(.shutdown) }
        for action in deferred { action() }
        deferred.removeAll()
        timers.removeAll()
        for handler in stopHandlers { handler() }
        stopHandlers.removeAll()
        let (jobs, waiters) = shared.withLock { state in
            state.phase = .stopped
            defer {
                state.jobs.removeAll()
                state.terminationWaiters.removeAll()
            }
            return (state.jobs, state.terminationWaiters)
        }
        for job in jobs { job.cancel?() }
        threadID.store(0, ordering: .relaxed)
        logger.debug("event loop stopped", metadata: ["loop": "\(name)"])
        for waiter in waiters { waiter.resume() }
    }
}

/// A loop-thread object that other threads may hold but not touch: `value` checks the thread.
final class LoopBound<Value>: @unchecked Sendable {
    let loop: EventLoop
    private let wrapped: Value

    init(_ value: Value, loop: EventLoop) {
        self.wrapped = value
        self.loop = loop
    }

    /// The object; only on the loop thread.
    var value: Value {
        precondition(loop.isCurrent, "a loop-bound object is used on its loop thread only")
        return wrapped
    }

    /// The object without the thread check, for code that runs before the loop thread exists or
    /// after it ended (construction, tests).
    var valueBeforeStart: Value { wrapped }
}
