import CLiburing
import Glibc

/// The process limits that decide how many connections one ring and one process can hold.
public enum ResourceLimits {
    /// RLIMIT_NOFILE soft limit. It caps both ordinary descriptors and each ring's registered-file
    /// table (io_uring_register(2): "nr_args ... may not exceed RLIMIT_NOFILE").
    public static var openFiles: UInt64 {
        var limit = rlimit()
        guard getrlimit(CLiburing_RLIMIT_NOFILE, &limit) == 0 else { return 1024 }
        return UInt64(limit.rlim_cur)
    }

    /// RLIMIT_MEMLOCK soft limit in bytes (rings and buffer rings are charged to it on older kernels).
    public static var lockedMemoryBytes: UInt64 {
        var limit = rlimit()
        guard getrlimit(CLiburing_RLIMIT_MEMLOCK, &limit) == 0 else { return 0 }
        return UInt64(limit.rlim_cur)
    }

    /// Raises the RLIMIT_NOFILE soft limit to the hard limit; returns the soft limit in force afterwards.
    @discardableResult
    public static func raiseOpenFilesToHardLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(CLiburing_RLIMIT_NOFILE, &limit) == 0 else { return openFiles }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(CLiburing_RLIMIT_NOFILE, &limit)
        }
        return openFiles
    }
}

/// CPU topology as far as shard placement needs it.
public enum CPUs {
    /// Number of online CPUs (at least 1).
    public static var onlineCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// The CPUs this process may run on (its affinity mask: `taskset`, systemd's CPUAffinity=, a cgroup's
    /// cpuset), ascending; all online CPUs when the mask cannot be read. Shard threads are pinned inside
    /// this set, never outside it.
    public static var allowed: [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let count = Int(CLiburing_allowed_cpus(&cpus, Int32(cpus.count)))
        guard count > 0 else { return Array(0..<onlineCount) }
        return cpus.prefix(count).map(Int.init)
    }
}
