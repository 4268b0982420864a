import Foundation
import Logging
import RingGateRuntime
import RingGateService
import Synchronization

/// Sends WATCHDOG=1 every half WatchdogSec, but only while every shard answers a report request:
/// a stuck shard stops the pings and systemd restarts the service.
final class Watchdog: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let thread = Mutex<ShardThread?>(nil)

    static func start(notifier: SystemdNotifier?, service: Service, logger: Logger) -> Watchdog? {
        guard let notifier,
            let interval = SystemdNotifier.watchdogInterval(environment: ProcessInfo.processInfo.environment)
        else { return nil }
        let watchdog = Watchdog()
        let seconds = (interval / 2).seconds
        logger.info("systemd watchdog on", metadata: ["ping_every_seconds": "\(seconds)"])
        watchdog.thread.withLock {
            $0 = ShardThread(name: "ringgate-watchdog", cpu: nil) {
                while !watchdog.stopped.load(ordering: .relaxed) {
                    if service.figures.shardsAnswer(timeoutSeconds: max(0.1, seconds / 2)) {
                        notifier.notify("WATCHDOG=1")
                    } else {
                        logger.error("a shard did not answer: withholding the watchdog ping")
                    }
                    var slept = 0.0
                    while slept < seconds && !watchdog.stopped.load(ordering: .relaxed) {
                        usleep(100_000)
                        slept += 0.1
                    }
                }
            }
        }
        return watchdog
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        let running = thread.withLock { thread in
            defer { thread = nil }
            return thread
        }
        running?.join()
    }
}
