import Foundation
import Glibc

/// A process this run started: spawned with posix_spawn, optionally with pipes to its standard input
/// and output, and always ended by this run (`ChildProcess.endAll` runs at exit and on SIGINT/SIGTERM).
final class ChildProcess {
    let pid: pid_t
    let name: String
    /// Write end of its standard input, or -1.
    let input: Int32
    /// Read end of its standard output, or -1.
    let output: Int32
    private var ended = false
    /// The raw wait status once it was reaped (`WEXITSTATUS` is `status >> 8 & 0xff`).
    private(set) var waitStatus: Int32?

    nonisolated(unsafe) private static var live: [pid_t: String] = [:]

    /// Starts `arguments[0]` (a path) with `arguments`. `pipes`: talk to it over stdin/stdout; otherwise
    /// its output goes to `logPath` (or /dev/null). `cpus`: start it under taskset on those CPUs.
    init(
        name: String, arguments: [String], pipes: Bool = false, logPath: String? = nil, cpus: [Int]? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        if pipes {
            guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else {
                throw BenchmarkFailure("pipe: \(String(cString: strerror(errno)))")
            }
            // Only the duplicated ends reach the child; no other child inherits these pipes.
            for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
            posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(
                &actions, 1, logPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        posix_spawn_file_actions_addopen(&actions, 2, logPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        // taskset execs the program under the same pid, pinned before it starts any thread.
        let pinned = cpus.map { ["/usr/bin/taskset", "-c", $0.map(String.init).joined(separator: ",")] } ?? []
        var cArguments = (pinned + arguments).map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, cArguments[0]!, &actions, nil, &cArguments, environ)
        if pipes {
            close(toChild[0])
            close(fromChild[1])
        }
        guard result == 0 else {
            throw BenchmarkFailure("cannot start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        pid = child
        self.name = name
        input = toChild[1]
        output = fromChild[0]
        Self.live[child] = name
    }

    /// Writes one line to its standard input.
    func send(_ line: String) {
        guard input >= 0 else { return }
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(input, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return }
            offset += written
        }
    }

    var isRunning: Bool {
        guard !ended else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            ended = true
            waitStatus = status
            Self.live[pid] = nil
            return false
        }
        return true
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; reaps it.
    func stop(grace: Double = 3) {
        guard !ended else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        var status: Int32 = 0
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return finish() }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        finish()
    }

    private func finish() {
        ended = true
        Self.live[pid] = nil
        if input >= 0 { close(input) }
        if output >= 0 { close(output) }
    }

    /// Ends `pid` with the others at exit or on a signal: a process this run did not spawn itself (the
    /// successor a `ringgate upgrade` starts). `forget` once it is gone.
    static func track(_ pid: pid_t, name: String) { live[pid] = name }
    static func forget(_ pid: pid_t) { live[pid] = nil }

    /// Kills every child still alive (exit path and signal handler: only async-signal-safe calls).
    static func endAll() {
        for pid in live.keys { kill(pid, SIGKILL) }
    }

    /// Makes Ctrl-C and SIGTERM end the children before this process goes.
    static func installCleanup() {
        atexit { ChildProcess.endAll() }
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            Glibc.signal(signal) { number in
                ChildProcess.endAll()
                Glibc._exit(128 + number)
            }
        }
        Glibc.signal(SIGPIPE, SIG_IGN)
    }
}

/// CPU placement: the gateway and the generators on different cores when both run on this machine.
enum CPUAffinity {
    static var onlineCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

/// A failure that ends a scenario, with what to do about it.
struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
