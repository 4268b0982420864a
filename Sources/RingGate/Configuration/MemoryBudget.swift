import RingGateRuntime

/// The default for `GatewayConfiguration.memoryBudgetBytes` (`limits.memory_mib`): 80% of the
/// cgroup's memory.max when one is set, else 80% of RAM. What peers make the gateway hold stays under
/// it, so a flood of stalled large messages closes connections instead of waking the OOM killer.
public enum MemoryBudget {
    public static let defaultFraction = 0.8

    public static func defaultBytes(cgroupLimitPath: String = "/sys/fs/cgroup/memory.max") -> Int {
        let ceiling = MemoryLimits.cgroupLimit(path: cgroupLimitPath) ?? MemoryLimits.physicalBytes
        return Int(Double(ceiling) * defaultFraction)
    }
}
