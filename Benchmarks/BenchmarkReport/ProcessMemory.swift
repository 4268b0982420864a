import Foundation

/// A process's memory as /proc reports it, in kB: RSS and its anonymous part from /proc/PID/status,
/// huge pages separately (HugetlbPages is not part of VmRSS), and smaps_rollup's Anonymous.
public struct ProcessMemory: Codable, Equatable, Sendable {
    public var rssKB: Int = 0
    public var rssAnonKB: Int = 0
    public var rssFileKB: Int = 0
    public var hugetlbKB: Int = 0
    public var smapsAnonymousKB: Int = 0
    public var smapsPrivateHugetlbKB: Int = 0

    public init() {}

    /// Parses the texts of /proc/PID/status and /proc/PID/smaps_rollup.
    public init(status: String, smapsRollup: String) {
        let fields = ProcText.kilobyteFields(status)
        rssKB = fields["VmRSS"] ?? 0
        rssAnonKB = fields["RssAnon"] ?? 0
        rssFileKB = fields["RssFile"] ?? 0
        hugetlbKB = fields["HugetlbPages"] ?? 0
        let rollup = ProcText.kilobyteFields(smapsRollup)
        smapsAnonymousKB = rollup["Anonymous"] ?? 0
        smapsPrivateHugetlbKB = rollup["Private_Hugetlb"] ?? 0
    }

    /// Reads the process `pid` now; nil when it is gone.
    public static func read(pid: Int32) -> ProcessMemory? {
        guard let status = ProcText.read("/proc/\(pid)/status") else { return nil }
        return ProcessMemory(status: status, smapsRollup: ProcText.read("/proc/\(pid)/smaps_rollup") ?? "")
    }
}

/// CPU time a process used (user + system), from /proc/PID/stat fields 14 and 15 (clock ticks).
public struct ProcessCPU: Equatable, Sendable {
    public var userTicks: Int
    public var systemTicks: Int
    public var seconds: Double { Double(userTicks + systemTicks) / Double(ProcText.ticksPerSecond) }

    /// Parses /proc/PID/stat; the command name (field 2) may hold spaces and parentheses, so fields are
    /// counted after its last ')'.
    public init?(stat: String) {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        // rest[0] is field 3 (state); utime is field 14, stime field 15.
        guard rest.count > 12, let user = Int(rest[11]), let system = Int(rest[12]) else { return nil }
        userTicks = user
        systemTicks = system
    }

    public static func read(pid: Int32) -> ProcessCPU? {
        ProcText.read("/proc/\(pid)/stat").flatMap(ProcessCPU.init(stat:))
    }

    /// Total CPU seconds of several processes (a gateway made of many processes, like PHP's). Uses the
    /// nanosecond run times of /proc/PID/task/*/schedstat where present (clock ticks are 10 ms, too coarse
    /// for short windows), else /proc/PID/stat.
    public static func seconds(pids: [Int32]) -> Double {
        pids.map { pid in preciseSeconds(pid: pid) ?? read(pid: pid)?.seconds ?? 0 }.reduce(0, +)
    }

    /// Sum of the first schedstat field (time on CPU, ns) over the process's threads.
    static func preciseSeconds(pid: Int32) -> Double? {
        guard let threads = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else {
            return nil
        }
        var nanoseconds = 0
        for thread in threads {
            guard let text = ProcText.read("/proc/\(pid)/task/\(thread)/schedstat"),
                let first = text.split(separator: " ").first, let value = Int(first)
            else { continue }
            nanoseconds += value
        }
        return nanoseconds > 0 ? Double(nanoseconds) / 1e9 : nil
    }
}

/// Kernel memory for sockets: /proc/net/sockstat (TCP sockets in use, and `mem` in pages for their
/// buffers) and /proc/meminfo (Slab, SUnreclaim: socket and inode objects live there).
public struct KernelMemory: Codable, Equatable, Sendable {
    public var tcpInUse = 0
    public var tcpAllocated = 0
    public var tcpMemoryPages = 0
    public var slabKB = 0
    public var slabUnreclaimableKB = 0
    public var memAvailableKB = 0

    public init() {}

    public init(sockstat: String, meminfo: String) {
        for line in sockstat.split(separator: "\n") where line.hasPrefix("TCP:") {
            let words = line.split(separator: " ")
            for index in stride(from: 1, to: words.count - 1, by: 2) {
                let value = Int(words[index + 1]) ?? 0
                switch words[index] {
                case "inuse": tcpInUse = value
                case "alloc": tcpAllocated = value
                case "mem": tcpMemoryPages = value
                default: break
                }
            }
        }
        let fields = ProcText.kilobyteFields(meminfo)
        slabKB = fields["Slab"] ?? 0
        slabUnreclaimableKB = fields["SUnreclaim"] ?? 0
        memAvailableKB = fields["MemAvailable"] ?? 0
    }

    public static func totalMemoryKB() -> Int {
        ProcText.kilobyteFields(ProcText.read("/proc/meminfo") ?? "")["MemTotal"] ?? 0
    }

    public static func read() -> KernelMemory {
        KernelMemory(
            sockstat: ProcText.read("/proc/net/sockstat") ?? "", meminfo: ProcText.read("/proc/meminfo") ?? "")
    }
}

enum ProcText {
    static let ticksPerSecond = max(1, sysconf(Int32(_SC_CLK_TCK)))

    static func read(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }

    /// "Name:   1234 kB" lines as a name → number map.
    static func kilobyteFields(_ text: String) -> [String: Int] {
        var fields: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).first
                .flatMap { Int($0) }
            if let value { fields[String(line[..<colon])] = value }
        }
        return fields
    }
}
