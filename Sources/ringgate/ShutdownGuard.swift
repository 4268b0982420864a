import Foundation
import Glibc
import Logging
import RingGateRuntime
import Synchronization

/// Makes a graceful shutdown finite whatever peers do: the stop runs on its own thread while the main
/// thread keeps watching the clock and the termination signals. If the stop has not finished by its
/// deadline (a shard that never drains, a thread stuck in a peer's hands), the threads still running are
/// logged and the process exits 0 anyway, before systemd's TimeoutStopSec would SIGKILL it. A second
/// SIGINT/SIGTERM from outside during the stop ends the process at once, as operators expect of a second
/// Ctrl-C.
enum ShutdownGuard {
    /// Added to the drain time for what follows the drain (inner links, workers, Register, admin).
    /// Keep drain_seconds + graceSeconds below the unit's TimeoutStopSec.
    static let graceSeconds = 3.0

    /// Runs `stop` and returns once it finished, or exits the process (status 0) at the deadline or on a
    /// second termination signal. Termination signals must be blocked (`SignalWaiter`).
    ///
    /// While `postponedWhile` holds (a live takeover the stop waits for, itself bounded), the deadline
    /// counts from the moment it last held, for at most `maxPostponeSeconds`.
    static func run(
        deadlineSeconds: Double, logger: Logger, postponedWhile: @escaping () -> Bool = { false },
        maxPostponeSeconds: Double = 120, _ stop: @escaping @Sendable () -> Void
    ) {
        let finished = Atomic<Bool>(false)
        let thread = ShardThread(name: "ringgate-stop", cpu: nil) {
            stop()
            finished.store(true, ordering: .releasing)
        }
        let allowance = Duration.milliseconds(Int(deadlineSeconds * 1_000))
        let latest = ContinuousClock.now + allowance + .milliseconds(Int(maxPostponeSeconds * 1_000))
        var deadline = ContinuousClock.now + allowance
        while !finished.load(ordering: .acquiring) {
            if postponedWhile() { deadline = min(max(deadline, ContinuousClock.now + allowance), latest) }
            // The SIGTERM a finished takeover sends this process is its own wake-up, not a second Ctrl-C: a
            // stop that began during the takeover then ends by itself (and the `/upgrade` answer gets out).
            if let termination = SignalWaiter.waitForTermination(timeoutMilliseconds: 100), !termination.isOwn {
                logger.notice("second termination signal (\(termination.signal)) during shutdown: exiting now")
                exitNow()
            }
            if ContinuousClock.now >= deadline {
                let running = runningThreadNames().filter { $0 != "ringgate-stop" }
                logger.error(
                    "shutdown did not finish within \(deadlineSeconds) s: exiting anyway",
                    metadata: ["still_running": "\(running.map(describe))"])
                exitNow()
            }
        }
        thread.join()
    }

    /// Exits 0 without running atexit handlers or waiting for other threads (one of them is stuck).
    static func exitNow() -> Never {
        fflush(nil)  // every stdio stream: the log lines written so far reach their file or journal
        _exit(0)
    }

    /// Our own threads (named `ringgate-…`) that are still alive, from /proc/self/task/*/comm.
    static func runningThreadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { task -> String? in
            guard let data = FileManager.default.contents(atPath: "/proc/self/task/\(task)/comm") else { return nil }
            let name = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return name.hasPrefix("ringgate-") ? name : nil
        }.sorted()
    }

    /// `ringgate-3` → `shard 3 (ringgate-3)`; other threads keep their name.
    static func describe(_ threadName: String) -> String {
        let suffix = threadName.dropFirst("ringgate-".count)
        return Int(suffix) != nil ? "shard \(suffix) (\(threadName))" : threadName
    }
}
