import Glibc

/// Blocks the calling thread until SIGINT or SIGTERM arrives.
///
/// The signals are blocked process-wide first (threads started later inherit the mask), so the shard
/// threads never see them and `sigwait` is the only receiver.
enum SignalWaiter {
    static func blockTerminationSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    static func waitForTermination() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        var received: Int32 = 0
        sigwait(&set, &received)
    }
}
