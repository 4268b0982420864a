import Glibc

/// How much memory the process may use, as far as the gateway's memory budget needs it.
public enum MemoryLimits {
    /// The cgroup v2 limit (memory.max) in bytes; nil when absent, unreadable or "max".
    public static func cgroupLimit(path: String = "/sys/fs/cgroup/memory.max") -> Int? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), file) != nil else { return nil }
        var text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        while text.last == "\n" || text.last == " " { text.removeLast() }
        return Int(text)
    }

    /// Physical memory in bytes.
    public static var physicalBytes: Int { sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE)) }
}
