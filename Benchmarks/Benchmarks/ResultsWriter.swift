import BenchmarkReport
import Foundation

/// Writes results.json, report.md and the charts into the run's folder, with the commit and machine.
enum ResultsWriter {
    static func write(settings: RunSettings) throws {
        var results = settings.results
        results.commit =
            shell("git rev-parse --short HEAD")
            + (shell("git status --porcelain --untracked-files=no").isEmpty ? "" : " (modified)")
        results.date = ISO8601DateFormatter().string(from: Date())
        results.machine.cpus = CPUAffinity.onlineCount
        results.machine.kernel = shell("uname -r")
        results.machine.cpuModel =
            (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
            .first { $0.hasPrefix("model name") }.map {
                String($0.split(separator: ":").last ?? "").trimmingCharacters(in: .whitespaces)
            } ?? ""
        results.machine.memoryKB = KernelMemory.totalMemoryKB()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: settings.resultsFolder.appendingPathComponent("results.json"))
        try ReportFiles(results: results).write(to: settings.resultsFolder)
        settings.progress.note("")
        print(ReportFiles(results: results).table())
        settings.progress.note("report: \(settings.resultsFolder.appendingPathComponent("report.md").path)")
    }

    private static func shell(_ command: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " 2>/dev/null"]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { return "" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
