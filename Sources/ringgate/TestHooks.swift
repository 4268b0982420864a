import Foundation
import Glibc
import Logging
import RingGate
import RingGateRuntime

/// Hidden hooks for the process tests, read from the environment; unset in production.
enum TestHooks {
    /// `RINGGATE_TEST_WEDGE_SHARD=N`: shard N's thread blocks for good (as a shard that can never finish
    /// its drain), so the tests can prove that the shutdown guard still ends the process.
    static let wedgeShardVariable = "RINGGATE_TEST_WEDGE_SHARD"

    static func apply(to gateway: GatewayServer?, logger: Logger) {
        guard let text = ProcessInfo.processInfo.environment[wedgeShardVariable], let index = Int(text),
            let gateway, gateway.configuration.shardCount > index, index >= 0
        else { return }
        // onShard waits for the body, which never returns: post it from a thread of its own.
        _ = ShardThread(name: "test-wedge", cpu: nil) {
            gateway.onShard(index) { _ in
                logger.warning("test hook: shard \(index) wedged for good")
                while true { sleep(3_600) }
            }
        }
    }
}
