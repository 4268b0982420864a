import Foundation
import RingGate
import RingGateRuntime

/// What `ringgate start` checks before it binds anything: each finding states the numbers and the fix.
public struct StartupFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case info, warning, fatal
    }

    public var severity: Severity
    public var message: String
    public var description: String { "\(severity.rawValue): \(message)" }
}

public enum StartupChecks {
    /// Runs every check; the caller refuses to start on a `.fatal` finding.
    /// `takingOver`: started by `ringgate upgrade`, so the ports are the old process's and in use by design.
    public static func run(
        _ configuration: ServiceConfiguration, gateway: GatewayConfiguration?, takingOver: Bool = false
    ) -> [StartupFinding] {
        var findings: [StartupFinding] = []
        findings += ioUring()
        if let gateway {
            findings += lockedMemory(gateway)
            findings += openFiles(configuration, gateway: gateway)
            findings += hugePages(gateway)
            findings += certificates(gateway)
        }
        if !takingOver { findings += portsInUse(configuration, gateway: gateway) }
        findings += secrets(configuration)
        return findings
    }

    static func ioUring(disabledFile: String = "/proc/sys/kernel/io_uring_disabled") -> [StartupFinding] {
        if ProcessFigures.sysctl(disabledFile) == 2 {
            return [
                StartupFinding(
                    severity: .fatal,
                    message:
                        "io_uring is disabled on this host (kernel.io_uring_disabled = 2). RingGate runs on io_uring: "
                        + "sysctl -w kernel.io_uring_disabled=0 (or 1 with the service user in kernel.io_uring_group)")
            ]
        }
        do {
            _ = try Ring(entries: 8, completionEntries: 16)
            return []
        } catch {
            let why: String
            switch error.errno {
            case ENOSYS: why = "this kernel has no io_uring (Linux 6.1 or later is needed)"
            case EPERM:
                why =
                    "io_uring is not permitted for this process: kernel.io_uring_disabled = 1 allows only members "
                    + "of kernel.io_uring_group, or a seccomp filter blocks it (systemd: SystemCallFilter must "
                    + "allow io_uring_setup, io_uring_enter, io_uring_register)"
            case ENOMEM:
                why =
                    "the kernel refused ring memory: RLIMIT_MEMLOCK is \(ResourceLimits.lockedMemoryBytes) bytes "
                    + "(raise it: LimitMEMLOCK=infinity in the unit, or ulimit -l unlimited)"
            default: why = "\(error)"
            }
            return [StartupFinding(severity: .fatal, message: "cannot create an io_uring: \(why)")]
        }
    }

    /// Before Linux 5.12 ring memory and registered buffers count against RLIMIT_MEMLOCK; since then
    /// they are charged to the memory cgroup and the limit does not matter.
    static func lockedMemory(
        _ gateway: GatewayConfiguration,
        kernel: OperatingSystemVersion = ProcessInfo.processInfo.operatingSystemVersion,
        limit: UInt64 = ResourceLimits.lockedMemoryBytes
    ) -> [StartupFinding] {
        guard kernel.majorVersion < 5 || (kernel.majorVersion == 5 && kernel.minorVersion < 12) else { return [] }
        // Per shard: two rings (SQ/CQ arrays, ~5 MiB at 4096/65536 entries) and the buffer rings.
        let needed = UInt64(gateway.shardCount) * (6 << 20)
        guard limit != UInt64.max, limit < needed else { return [] }
        return [
            StartupFinding(
                severity: .warning,
                message:
                    "RLIMIT_MEMLOCK is \(limit >> 10) KiB but Linux \(kernel.majorVersion).\(kernel.minorVersion) charges "
                    + "ring memory to it (about \(needed >> 20) MiB for \(gateway.shardCount) shards): raise it "
                    + "(LimitMEMLOCK=infinity in the unit, ulimit -l unlimited by hand) or ring setup will fail")
        ]
    }

    /// Each client is a direct descriptor and one ring's file table is capped by RLIMIT_NOFILE.
    static func openFiles(_ configuration: ServiceConfiguration, gateway: GatewayConfiguration) -> [StartupFinding] {
        let limit = ResourceLimits.raiseOpenFilesToHardLimit()
        let perShard = gateway.effectiveConnectionsPerShard
        if let asked = configuration.gateway.connectionsPerShard, UInt64(asked) > limit {
            return [
                StartupFinding(
                    severity: .fatal,
                    message:
                        "gateway.connections_per_shard is \(asked) but RLIMIT_NOFILE is \(limit): io_uring caps each "
                        + "ring's file table at RLIMIT_NOFILE. Raise LimitNOFILE= in the unit (deploy/ringgate.service "
                        + "sets 1048576) or lower connections_per_shard")
            ]
        }
        let total = perShard * gateway.shardCount
        guard limit < 1 << 20 else { return [] }
        return [
            StartupFinding(
                severity: limit < 65_536 ? .warning : .info,
                message:
                    "RLIMIT_NOFILE is \(limit): each shard holds at most \(perShard) clients, \(total) over "
                    + "\(gateway.shardCount) shards. For more, raise LimitNOFILE (deploy/ringgate.service sets "
                    + "1048576) or add shards (gateway.shards)")
        ]
    }

    static func hugePages(_ gateway: GatewayConfiguration, meminfoFile: String = "/proc/meminfo") -> [StartupFinding] {
        guard gateway.useHugePages, gateway.hugetlbfsDirectory == nil else { return [] }
        let meminfo = ProcessFigures.keyedKilobytes(ProcessFigures.read(meminfoFile))
        let pageKiB = meminfo["Hugepagesize", default: 2_048]
        let free = meminfo["HugePages_Free", default: 0]
        let total = meminfo["HugePages_Total", default: 0]
        // One slab per thread, sized for the shards it runs.
        let slabPages = (0..<gateway.effectiveThreadCount).map { thread -> UInt64 in
            let bytes = UInt64(gateway.slabBytes(shardsOnThread: gateway.shards(onThread: thread).count))
            return (bytes / 1024 + pageKiB - 1) / pageKiB
        }
        let needed = slabPages.reduce(0, +)
        guard free < needed else {
            return [
                StartupFinding(
                    severity: .info,
                    message: "huge pages: \(needed) of \(free) free \(pageKiB / 1024) MiB pages for the receive slabs")
            ]
        }
        return [
            StartupFinding(
                severity: .warning,
                message:
                    "huge pages: the slabs need \(needed) × \(pageKiB / 1024) MiB pages (one slab per thread, "
                    + "\(gateway.effectiveThreadCount) threads) but \(free) are free (vm.nr_hugepages = \(total)); "
                    + "threads without one fall back to normal pages. Fix: sysctl -w vm.nr_hugepages=\(total + needed - free) "
                    + "(deploy/sysctl/91-ringgate-hugepages.conf), or gateway.huge_pages: off to silence this")
        ]
    }

    /// Binds each of our addresses once without SO_REUSEPORT: a port held by anyone (even another
    /// RingGate, whose SO_REUSEPORT sockets ours would otherwise silently join) is reported up front.
    static func portsInUse(_ configuration: ServiceConfiguration, gateway: GatewayConfiguration?) -> [StartupFinding] {
        var addresses: [(SocketAddress, String)] = []
        if let gateway {
            for listener in gateway.listeners where listener.address.port != 0 {
                addresses.append((listener.address, "gateway.listen \(listener.framing.scheme)://\(listener.address)"))
            }
            if let upstream = gateway.upstream, upstream.startPort != 0 {
                for shard in 0..<gateway.shardCount {
                    addresses.append(
                        (
                            upstream.innerAddress(shard: shard),
                            "shard \(shard)'s worker port (gateway.start_port + \(shard))"
                        ))
                }
            }
        }
        if configuration.register.enabled { addresses.append((configuration.register.listen, "register.listen")) }
        if let admin = configuration.admin.listen, admin.port != 0 { addresses.append((admin, "admin.listen")) }
        var findings: [StartupFinding] = []
        for (address, owner) in addresses {
            do { _ = try ListeningSocket(binding: address, backlog: 1, reusePort: false) } catch {
                let why =
                    error.errno == EADDRINUSE
                    ? "port \(address.port) is already in use (another RingGate or PHP gateway running? `ss -ltnp 'sport = :\(address.port)'` shows who)"
                    : error.errno == EADDRNOTAVAIL ? "\(address.host) is not an address of this host" : "\(error)"
                findings.append(StartupFinding(severity: .fatal, message: "\(owner) on \(address): \(why)"))
            }
        }
        return findings
    }
}
