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

    /// Waits for SIGINT or SIGTERM, running `onHangup` for each SIGHUP meanwhile (reload) and `onUpgrade`
    /// for each SIGUSR2 (live takeover; returns at once when it succeeded: this process is done).
    static func waitForTermination(onHangup: () -> Void, onUpgrade: () -> Bool = { false }) {
        var set = terminationSignals()
        sigaddset(&set, SIGHUP)
        sigaddset(&set, SIGUSR2)
        while true {
            var received: Int32 = 0
            sigwait(&set, &received)
            switch received {
            case SIGHUP: onHangup()
            case SIGUSR2: if onUpgrade() { return }
            default: return
            }
        }
    }

    /// The termination signal that arrived within `timeoutMilliseconds`, or nil.
    static func waitForTermination(timeoutMilliseconds: Int) -> Int32? {
        var set = terminationSignals()
        var timeout = timespec(tv_sec: timeoutMilliseconds / 1_000, tv_nsec: timeoutMilliseconds % 1_000 * 1_000_000)
        let received = sigtimedwait(&set, nil, &timeout)
        return received > 0 ? received : nil
    }

    private static func terminationSignals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }
}
