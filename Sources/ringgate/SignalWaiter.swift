import Glibc

/// Blocks the calling thread until SIGINT or SIGTERM arrives.
///
/// The signals are blocked process-wide first (threads started later inherit the mask), so the shard
/// threads never see them and `sigwait` is the only receiver.
enum SignalWaiter {
    static func blockTerminationSignals() {
        var set = terminationSignals()
        // SIGHUP and SIGUSR2 too, so that only sigwait sees them: a reload or an upgrade where one is
        // wired, else ignored (never the default exit).
        sigaddset(&set, SIGHUP)
        sigaddset(&set, SIGUSR2)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    static func waitForTermination() {
        var set = terminationSignals()
        var received: Int32 = 0
        sigwait(&set, &received)
    }

    /// A termination signal and the process that sent it.
    struct Termination {
        var signal: Int32
        var sender: pid_t
        /// Sent by this process itself: the wake-up after a live takeover handed every client over, not
        /// an operator's request.
        var isOwn: Bool { sender == getpid() }
    }

    /// Waits for SIGINT or SIGTERM, running `onHangup` for each SIGHUP meanwhile (reload) and `onUpgrade`
    /// for each SIGUSR2 (live takeover; returns nil at once when it succeeded: this process is done).
    @discardableResult
    static func waitForTermination(onHangup: () -> Void, onUpgrade: () -> Bool = { false }) -> Termination? {
        var set = terminationSignals()
        sigaddset(&set, SIGHUP)
        sigaddset(&set, SIGUSR2)
        while true {
            var info = siginfo_t()
            let received = sigwaitinfo(&set, &info)
            switch received {
            case SIGHUP: onHangup()
            case SIGUSR2: if onUpgrade() { return nil }
            case SIGINT, SIGTERM: return Termination(signal: received, sender: info._sifields._kill.si_pid)
            default: continue  // EINTR
            }
        }
    }

    /// The termination signal that arrived within `timeoutMilliseconds` (0: one already pending), or nil.
    static func waitForTermination(timeoutMilliseconds: Int) -> Termination? {
        var set = terminationSignals()
        var timeout = timespec(tv_sec: timeoutMilliseconds / 1_000, tv_nsec: timeoutMilliseconds % 1_000 * 1_000_000)
        var info = siginfo_t()
        let received = sigtimedwait(&set, &info, &timeout)
        return received > 0 ? Termination(signal: received, sender: info._sifields._kill.si_pid) : nil
    }

    private static func terminationSignals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }
}
