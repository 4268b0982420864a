import Foundation
import Glibc
import Histogram
import LoadGenerator

/// The generator processes of one scenario: this same executable started as `Benchmarks loadgen-worker`,
/// each holding at most `perProcess` connections (one ring, its table capped by RLIMIT_NOFILE), all pinned
/// to the generator CPUs. Commands go to every process; replies are collected with poll(2).
final class GeneratorFleet {
    let processes: [ChildProcess]
    let counts: [Int]
    private var pending: [[UInt8]]
    private var dead: Set<Int> = []
    private let progress: ProgressLine
    private let logHint: String

    struct Target {
        var host: String
        var port: UInt16
        var framing: StreamFraming
    }

    /// Starts enough processes for `connections` and waits until each is ready.
    init(
        target: Target, connections: Int, settings: RunSettings, messageSize: Int = 64,
        verifyOnEstablish: Bool = true, progress: ProgressLine
    ) throws {
        self.progress = progress
        let perProcess = settings.connectionsPerGenerator
        let processCount = max(1, (connections + perProcess - 1) / perProcess)
        var counts: [Int] = []
        var remaining = connections
        for index in 0..<processCount {
            let share = remaining / (processCount - index)
            counts.append(share)
            remaining -= share
        }
        let sources = max(1, (connections + settings.connectionsPerSource - 1) / settings.connectionsPerSource)
        let window = min(settings.connectWindow, max(16, settings.connectWindowTotal / processCount))
        var processes: [ChildProcess] = []
        var first = 0
        for (index, count) in counts.enumerated() {
            let cpu = settings.generatorCPUs[index % settings.generatorCPUs.count]
            let arguments =
                [
                    settings.selfPath, "loadgen-worker", "--host", target.host, "--port", "\(target.port)",
                    "--connections", "\(count)", "--first-index", "\(first)", "--sources", "\(sources)",
                    "--per-source", "\(settings.connectionsPerSource)", "--framing", target.framing.rawValue,
                    "--message-size", "\(messageSize)", "--cpu", "\(cpu)", "--connect-window", "\(window)",
                ] + (verifyOnEstablish ? [] : ["--no-verify"])
            processes.append(
                try ChildProcess(
                    name: "generator \(index)", arguments: arguments, pipes: true,
                    logPath: settings.logPath("generators"),
                    cpus: [cpu]))
            first += count
        }
        self.processes = processes
        self.counts = counts
        logHint = settings.logPath("generators")
        pending = Array(repeating: [], count: processes.count)
        _ = try awaitReplies("ready", timeout: 30)
    }

    var pids: [pid_t] { processes.map(\.pid) }

    func broadcast(_ command: String) {
        for process in processes { process.send(command) }
    }

    /// Sends `command` and waits for one `word` reply from every process.
    func ask(_ command: String, expecting word: String, timeout: Double) throws -> [ReportLine] {
        broadcast(command)
        return try awaitReplies(word, timeout: timeout)
    }

    /// Waits for one `word` line from each process; `progress` lines update the live line; `h` lines
    /// following a `stats` reply are merged into `histogram`.
    func awaitReplies(
        _ word: String, timeout: Double, histogram: UnsafeMutablePointer<Histogram<UInt64>>? = nil,
        onProgress: (([ReportLine?]) -> Void)? = nil
    ) throws -> [ReportLine] {
        var replies: [ReportLine?] = Array(repeating: nil, count: processes.count)
        var latest: [ReportLine?] = Array(repeating: nil, count: processes.count)
        var histogramDone = Array(repeating: histogram == nil, count: processes.count)
        let deadline = Date().addingTimeInterval(timeout)
        while replies.contains(where: { $0 == nil }) || histogramDone.contains(false) {
            guard Date() < deadline else {
                throw BenchmarkFailure(
                    "generators did not answer '\(word)' within \(Int(timeout)) s (answered: \(replies.compactMap { $0 }.count) of \(processes.count))"
                )
            }
            if let index = dead.first {
                throw BenchmarkFailure("generator \(index) exited (see \(logHint))")
            }
            for index in processes.indices {
                while let line = nextLine(from: index) {
                    if line.hasPrefix("h "), let histogram {
                        let parts = line.split(separator: " ")
                        if parts.count == 3, let value = UInt64(parts[1]), let count = UInt64(parts[2]) {
                            _ = histogram.pointee.record(value, count: count)
                        }
                        continue
                    }
                    if line == "end" {
                        histogramDone[index] = true
                        continue
                    }
                    guard let report = ReportLine(parsing: Substring(line)) else { continue }
                    if report.word == word {
                        replies[index] = report
                    } else if report.word == "progress" {
                        latest[index] = report
                        onProgress?(latest)
                    } else if report.word == "error" {
                        progress.note("generator \(index): \(line)")
                    }
                }
            }
            if replies.contains(where: { $0 == nil }) || histogramDone.contains(false) { waitReadable(until: deadline) }
        }
        return replies.map { $0! }
    }

    private func nextLine(from index: Int) -> String? {
        if let newline = pending[index].firstIndex(of: 10) {
            let line = String(decoding: pending[index][..<newline], as: UTF8.self)
            pending[index].removeSubrange(...newline)
            return line
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        var descriptor = pollfd(fd: processes[index].output, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return nil }
        let count = buffer.withUnsafeMutableBytes { read(processes[index].output, $0.baseAddress, $0.count) }
        guard count > 0 else {
            if !processes[index].isRunning { dead.insert(index) }
            return nil
        }
        pending[index] += buffer[0..<count]
        return nextLine(from: index)
    }

    private func waitReadable(until deadline: Date) {
        var descriptors = processes.map { pollfd(fd: $0.output, events: Int16(POLLIN), revents: 0) }
        let milliseconds = Int32(max(1, min(250, deadline.timeIntervalSinceNow * 1000)))
        _ = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
    }

    func stop() {
        broadcast("exit")
        for process in processes { process.stop(grace: 5) }
    }
}
