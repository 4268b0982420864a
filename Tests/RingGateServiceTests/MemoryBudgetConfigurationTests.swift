import RingGate
import RingGateRuntime
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

    @Test func theBudgetIsSplitBetweenShards() throws {
        var configuration = try gateway("64")
        configuration.shardCount = 4
        #expect(configuration.memoryBudgetPerShard == 16 << 20)
        configuration.memoryBudgetBytes = nil
        #expect(configuration.memoryBudgetPerShard == 0)
    }

    @Test func aMissingCgroupLimitFallsBackToRAM() {
        #expect(MemoryLimits.cgroupLimit(path: "/nonexistent/memory.max") == nil)
        #expect(
            MemoryBudget.defaultBytes(cgroupLimitPath: "/nonexistent/memory.max")
                == Int(Double(MemoryLimits.physicalBytes) * MemoryBudget.defaultFraction))
    }
}
