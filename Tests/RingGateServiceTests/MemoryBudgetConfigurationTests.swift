import Logging
import RingGate
import RingGateRuntime
import Synchronization
import Testing

@testable import RingGateService

/// `limits.memory_mib`: auto (derived from the cgroup or RAM), off/0 (no budget), or MiB.
@Suite struct MemoryBudgetConfigurationTests {
    private func gateway(_ value: String) throws -> GatewayConfiguration {
        let service = try ConfigurationLoader.load(
            fileContents: "limits:\n  memory_mib: \(value)\n", fileName: "ringgate.yaml", environment: [:],
            overrides: [])
        return try service.gatewayConfiguration()
    }

    @Test func valuesMapToTheGatewayBudget() throws {
        #expect(try gateway("64").memoryBudgetBytes == 64 << 20)
        #expect(try gateway("off").memoryBudgetBytes == nil)
        #expect(try gateway("0").memoryBudgetBytes == nil)
        #expect(try gateway("auto").memoryBudgetBytes == MemoryBudget.defaultBytes())
        #expect(MemoryBudget.defaultBytes() > 0)
    }

    @Test func theBudgetIsSplitBetweenThreadsByTheirShards() throws {
        var configuration = try gateway("64")
        configuration.shardCount = 4
        configuration.threadCount = 4
        #expect(configuration.memoryBudget(onThread: 0) == 16 << 20)
        // Shards that share a thread share its chunk pool, so their parts of the budget are pooled too:
        // 5 shards on 2 threads are 3 + 2.
        configuration.shardCount = 5
        configuration.threadCount = 2
        #expect(configuration.shards(onThread: 0) == [0, 2, 4] && configuration.shards(onThread: 1) == [1, 3])
        #expect(configuration.memoryBudget(onThread: 0) == (64 << 20) * 3 / 5)
        #expect(configuration.memoryBudget(onThread: 1) == (64 << 20) * 2 / 5)
        configuration.memoryBudgetBytes = nil
        #expect(configuration.memoryBudget(onThread: 0) == 0)
    }

    /// Threads left at "one per CPU": each shard thread works out its budget after it was pinned, where
    /// `CPUs.allowed` is its one CPU. Before the server resolved the thread count up front, every thread
    /// took itself for the only one, and 2 shards on 2 threads held 16 + 8 MiB against a 16 MiB budget.
    @Test func threadBudgetsSumToTheBudgetWhenWorkedOutOnAPinnedThread() throws {
        var configuration = try gateway("16")
        configuration.listeners = [try ListenerConfiguration(url: "text://127.0.0.1:0")]
        configuration.shardCount = 4
        configuration.threadCount = nil
        configuration.useHugePages = false
        configuration.upstream = try UpstreamConfiguration(lanIP: "127.0.0.1", startPort: 0)
        let server = try GatewayServer(configuration: configuration, logger: Logger(label: "test"))
        defer { server.stop() }
        let resolved = server.configuration
        let threads = min(4, CPUs.allowed.count)
        #expect(resolved.threadCount == threads)
        let parts = Mutex<[Int]>([])
        let pinned = ShardThread(name: "budget-check", cpu: CPUs.allowed.last) {
            let budgets = (0..<resolved.effectiveThreadCount).map { resolved.memoryBudget(onThread: $0) }
            parts.withLock { $0 = budgets }
        }
        pinned.join()
        #expect(parts.withLock { $0.count } == threads)
        #expect(parts.withLock { $0.reduce(0, +) } == 16 << 20)
    }

    @Test func manyShardsOnAThreadSplitItsReceiveBuffersAndGrowItsSlab() throws {
        var configuration = try gateway("64")
        configuration.upstream = nil  // an echo gateway: client rings only
        #expect(configuration.receiveBuffersPerShard(shardsOnThread: 1) == 1024)
        #expect(configuration.receiveBuffersPerShard(shardsOnThread: 3) == 256)
        #expect(configuration.receiveBuffersPerShard(shardsOnThread: 29) == 32)
        #expect(configuration.receiveBuffersPerShard(shardsOnThread: 58) == 16)
        #expect(configuration.receiveBuffersPerShard(shardsOnThread: 200) == 16)
        #expect(configuration.slabBytes(shardsOnThread: 1) == 16 << 20)
        // 58 shards × 16 × 4 KiB of client rings + 4 MiB of chunks fit the default 16 MiB.
        #expect(configuration.slabBytes(shardsOnThread: 58) == 16 << 20)
        #expect(configuration.slabBytes(shardsOnThread: 200) == 200 * 16 * 4_096 + (4 << 20))
        configuration.upstream = try UpstreamConfiguration()
        #expect(configuration.upstreamBuffersPerShard(shardsOnThread: 1) == 64)
        #expect(configuration.upstreamBuffersPerShard(shardsOnThread: 29) == 4)
        // With worker rings (4 × 64 KiB each) the thread needs more than the default.
        #expect(configuration.upstreamBuffersPerShard(shardsOnThread: 58) == 4)
        #expect(configuration.slabBytes(shardsOnThread: 58) == 58 * (16 * 4_096 + 4 * 65_536) + (4 << 20))
    }

    @Test func aMissingCgroupLimitFallsBackToRAM() {
        #expect(MemoryLimits.cgroupLimit(path: "/nonexistent/memory.max") == nil)
        #expect(
            MemoryBudget.defaultBytes(cgroupLimitPath: "/nonexistent/memory.max")
                == Int(Double(MemoryLimits.physicalBytes) * MemoryBudget.defaultFraction))
    }
}
