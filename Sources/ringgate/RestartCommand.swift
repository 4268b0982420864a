import ArgumentParser
import Foundation
import Glibc
import RingGateRuntime

/// `ringgate restart`: workerman's `php start.php restart [-d]`. The running instance (found through
/// its admin endpoint) is stopped gracefully (drain, close 1001, exit 0) and started again with the
/// same command line, working directory and environment, so the same config is read again.
///
/// Under systemd the unit owns the process: restarting it behind systemd's back would leave the unit
/// "failed" or start a second copy, so the command runs `systemctl restart UNIT` instead.
struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Stop the running RingGate gracefully and start it again with the same command line.",
        discussion: """
            Without --daemon the new instance runs in the foreground of this terminal, as workerman's
            `restart` does; with --daemon (-d) it detaches and logs to the old instance's --log-file.
            Under systemd (its cgroup is a .service unit) this runs `systemctl restart UNIT`.
            Exit status: 0 once restarted; 1 when nothing answers at --admin or the old instance did not
            exit within --timeout (workerman prints "stop fail" and exits 0 there; a script needs to know).
            """
    )

    @OptionGroup var options: AdminOptions

    @Flag(name: [.customShort("d"), .long], help: "Start the new instance in the background.")
    var daemon = false

    @Option(help: "Seconds to wait for the old instance to exit (its drain_seconds plus a margin).")
    var timeout: Double = 60

    func run() throws {
        let status = try options.status()
        let old = try RunningInstance(pid: status.pid)
        if let unit = old.systemdUnit {
            print("RingGate (pid \(old.pid)) runs under systemd as \(unit): systemctl restart \(unit)")
            let code = try Self.runSystemctl(["restart", unit])
            guard code == 0 else { throw ExitCode(code) }
            return
        }
        print("stopping RingGate (pid \(old.pid))…")
        try GracefulStop.stop(pid: old.pid, timeoutSeconds: timeout)
        print("stopped; starting: \(old.arguments.dropFirst().joined(separator: " "))")
        guard chdir(old.workingDirectory) == 0 else {
            throw ValidationError("cannot enter \(old.workingDirectory): \(String(cString: strerror(errno)))")
        }
        if daemon {
            try Daemon.detach(
                logFile: old.logFile, arguments: old.arguments.filter { $0 != "--daemon" },
                admin: try options.address(), environment: old.environment)
            return
        }
        try Self.execute(arguments: old.arguments, environment: old.environment)
    }

    /// Replaces this process with `ringgate` (this binary, so an upgrade takes effect) and `arguments`.
    static func execute(arguments: [String], environment: [String]) throws -> Never {
        let path = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments.dropFirst()).map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        execve(path, &argv, &envp)
        let reason = String(cString: strerror(errno))
        for pointer in argv + envp { free(pointer) }
        throw ValidationError("cannot start \(path): \(reason)")
    }

    static func runSystemctl(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["systemctl"] + arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// SIGTERM, then wait until the process is gone (`ringgate stop` and `restart`).
enum GracefulStop {
    static func stop(pid: Int32, timeoutSeconds: Double) throws {
        guard kill(pid, SIGTERM) == 0 else {
            throw ValidationError("cannot signal pid \(pid): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while isRunning(pid) {
            guard Date() < deadline else {
                throw ValidationError("stop fail: pid \(pid) still running after \(timeoutSeconds) s")
            }
            usleep(50_000)
        }
    }

    /// Whether `pid` still runs. A zombie (exited, not yet reaped by a parent that is not us) answers
    /// kill(pid, 0) but has stopped serving: it counts as gone, else a restart would wait on its parent.
    static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        // proc(5): "pid (comm) state …"; comm may contain spaces or parentheses, so look after the last ')'.
        return stat[stat.index(after: close)...].trimmingPrefix(" ").first != "Z"
    }
}
