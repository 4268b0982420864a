import Foundation
import Glibc
import TestSupport
import Testing

/// A `ringgate` subcommand as a child process with its output in a log file, for the shutdown and
/// secret tests: wait for a log line, signal it, and wait (bounded) for its exit.
final class RingGateProcess {
    let process = Process()
    let log: URL

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        log = URL(fileURLWithPath: "/tmp/ringgate-process-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = try ringgateBinary()
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: log)
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Whether `text` appeared in the output within `seconds` (false at once when the process ended).
    func waitForOutput(_ text: String, seconds: Double) -> Bool {
        poll(seconds: seconds) { output.contains(text) || !process.isRunning } && output.contains(text)
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// The exit status once the process ended within `seconds`, or nil (it is then killed).
    func exitStatus(within seconds: Double) -> Int32? {
        guard poll(seconds: seconds, { !process.isRunning }) else {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
