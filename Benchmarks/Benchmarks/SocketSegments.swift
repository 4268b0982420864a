import BenchmarkReport
import Foundation

/// TCP data segments a server has sent on its established connections, summed from `ss -tin`
/// (`tcpi_data_segs_out`). Taken before and after a measured window, it gives the segments per delivered
/// message of any server, whatever its I/O model: io_uring sends leave no syscall count behind, but every send
/// leaves at least one data segment. Both ends of loopback are in this kernel, so the connections are told
/// apart by the server's local ports.
enum SocketSegments {
    /// Data segments sent so far from sockets whose local port is one of `localPorts`; nil when `ss` is not
    /// installed or failed.
    static func dataSegmentsOut(localPorts: [UInt16]) -> Int? {
        guard !localPorts.isEmpty,
            let ss = ["/usr/bin/ss", "/bin/ss", "/usr/sbin/ss", "/sbin/ss"].first(
                where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return nil }
        let filter = localPorts.map { "sport = :\($0)" }.joined(separator: " or ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ss)
        process.arguments = ["-tinH", "state", "established", "( \(filter) )"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return SocketStatistics.sum(of: "data_segs_out:", in: [UInt8](output))
    }
}

/// A pair of `SocketSegments` readings around a measured window.
struct SegmentWindow {
    let localPorts: [UInt16]
    let start: Int?

    init(localPorts: [UInt16]) {
        self.localPorts = localPorts
        start = SocketSegments.dataSegmentsOut(localPorts: localPorts)
    }

    /// Segments sent since `init`, or nil when either reading failed.
    func sent() -> Int? {
        guard let start, let end = SocketSegments.dataSegmentsOut(localPorts: localPorts) else { return nil }
        return max(0, end - start)
    }
}
