import Foundation

/// Figures of this process and of the host, read from /proc.
enum ProcessFigures {
    /// VmRSS, RssAnon and HugetlbPages of /proc/self/status, in bytes.
    static func memory(statusFile: String = "/proc/self/status") -> StatusDocument.ProcessMemory {
        let fields = keyedKilobytes(read(statusFile))
        return StatusDocument.ProcessMemory(
            rssBytes: fields["VmRSS", default: 0] * 1024, rssAnonBytes: fields["RssAnon", default: 0] * 1024,
            hugetlbBytes: fields["HugetlbPages", default: 0] * 1024)
    }

    /// `Name:   123 kB` lines as name → number.
    static func keyedKilobytes(_ text: String) -> [String: UInt64] {
        var fields: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let number = line[line.index(after: colon)...].split(whereSeparator: \.isWhitespace).first.flatMap {
                UInt64($0)
            }
            if let number { fields[String(line[..<colon])] = number }
        }
        return fields
    }

    static func read(_ path: String) -> String {
        // /proc files report a size of 0: read to the end rather than by size.
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }

    /// A single number in a /proc/sys file (nil when absent or unreadable).
    static func sysctl(_ path: String) -> Int? {
        Int(read(path).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
