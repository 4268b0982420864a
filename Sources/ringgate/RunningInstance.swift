import ArgumentParser
import Foundation
import RingGateService

/// What `/proc` says about the running `ringgate start`: enough to start it again the same way.
struct RunningInstance {
    var pid: Int32
    /// Its argv, `ringgate start …`.
    var arguments: [String]
    var workingDirectory: String
    /// `NAME=value` entries; this process's own when the other's are not readable.
    var environment: [String]
    /// The systemd service that owns it, e.g. `ringgate.service`; nil for a process started by hand.
    var systemdUnit: String?

    init(pid: Int32, proc: String = "/proc") throws {
        self.pid = pid
        guard let cmdline = FileManager.default.contents(atPath: "\(proc)/\(pid)/cmdline"), !cmdline.isEmpty else {
            throw ValidationError("cannot read \(proc)/\(pid)/cmdline: is pid \(pid) on this host?")
        }
        arguments = Self.nulSeparated(cmdline)
        workingDirectory =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(proc)/\(pid)/cwd")) ?? "/"
        // A process started by `ringgate upgrade` carries the takeover channel's variable: not for a restart.
        environment =
            (FileManager.default.contents(atPath: "\(proc)/\(pid)/environ").map(Self.nulSeparated)
            ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" })
            .filter { !$0.hasPrefix("RINGGATE_TAKEOVER_FD=") }
        let cgroup = (try? String(contentsOfFile: "\(proc)/\(pid)/cgroup", encoding: .utf8)) ?? ""
        systemdUnit = SystemdUnit.of(cgroup: cgroup, environment: environment)
    }

    /// The `--log-file` it was started with (the daemon's log), or the default.
    var logFile: String {
        if let index = arguments.firstIndex(of: "--log-file"), index + 1 < arguments.count {
            return arguments[index + 1]
        }
        if let argument = arguments.first(where: { $0.hasPrefix("--log-file=") }) {
            return String(argument.dropFirst("--log-file=".count))
        }
        return "ringgate.log"
    }

    private static func nulSeparated(_ data: Data) -> [String] {
        data.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }
}
