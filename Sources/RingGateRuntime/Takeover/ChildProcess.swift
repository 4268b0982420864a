import CLiburing
import Glibc
import Synchronization

/// A process this one started: the successor binary of a live takeover.
///
/// The child is reaped through this value only (its copies share one exit record), so its status is read once
/// from the kernel and then remembered: a pid is never waited for twice, and never after it could be reused.
public struct ChildProcess: Sendable {
    public let pid: Int32
    private let record: ExitRecord

    /// The descriptor number the inherited channel has in the child (the first after stdin, stdout, stderr).
    public static let inheritedDescriptor: Int32 = 3

    /// posix_spawn of `path` with `arguments` (argv[0] included) and `environment`, with `inherited` dup2'ed to
    /// descriptor 3 in the child (everything else CLOEXEC as usual); stdout/stderr inherited.
    ///
    /// The child starts with an empty signal mask and SIGPIPE at its default, as a process started by systemd or
    /// a shell would: the gateway blocks its shutdown signals for a waiting thread and ignores SIGPIPE, and both
    /// would otherwise survive exec.
    public static func spawn(
        path: String, arguments: [String], environment: [String: String], inherited: Int32
    ) throws(SystemError) -> ChildProcess {
        // dup2(3, 3) is a no-op that would leave FD_CLOEXEC set, so a descriptor that already is 3 goes through
        // a copy first.
        var source = inherited
        if inherited == inheritedDescriptor {
            source = try retryingSyscall("fcntl(F_DUPFD_CLOEXEC)") { fcntl(inherited, F_DUPFD_CLOEXEC, 10) }
        }
        defer { if source != inherited { close(source) } }

        var actions = posix_spawn_file_actions_t()
        try check("posix_spawn_file_actions_init", posix_spawn_file_actions_init(&actions))
        defer { posix_spawn_file_actions_destroy(&actions) }
        try check("posix_spawn_file_actions_adddup2", posix_spawn_file_actions_adddup2(&actions, source, 3))
        // Only the channel goes across: a descriptor this process inherited without FD_CLOEXEC (a supervisor's
        // pipe whose EOF tells it we exited) must not be held open by the successor.
        try check("posix_spawn_file_actions_addclosefrom_np", CLiburing_spawn_close_from(&actions, 4))

        var attributes = posix_spawnattr_t()
        try check("posix_spawnattr_init", posix_spawnattr_init(&attributes))
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        try check("posix_spawnattr_setsigmask", posix_spawnattr_setsigmask(&attributes, &emptyMask))
        try check("posix_spawnattr_setsigdefault", posix_spawnattr_setsigdefault(&attributes, &defaults))
        try check(
            "posix_spawnattr_setflags",
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        try check("posix_spawn(\(path))", posix_spawn(&pid, path, &actions, &attributes, argv, envp))
        return ChildProcess(pid: pid, record: ExitRecord())
    }

    /// posix_spawn* return the error number instead of setting errno.
    private static func check(_ operation: String, _ result: Int32) throws(SystemError) {
        if result != 0 { throw SystemError(operation, errno: result) }
    }

    /// Non-blocking: nil while running, else the exit status (WEXITSTATUS) or 128+signal (-1 if another part
    /// of the process reaped it first, so its status is unknown).
    public func exitStatus() -> Int32? {
        record.status.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &raw, WNOHANG) } while result < 0 && errno == EINTR
            // ECHILD: someone else reaped it (SIGCHLD set to SIG_IGN); it is gone, its status unknown (-1).
            guard result == pid || (result < 0 && errno == ECHILD) else { return nil }
            status = result == pid ? Self.decode(raw) : -1
            return status
        }
    }

    /// SIGKILL and reap (bounded wait: 5 s).
    public func killAndReap() {
        guard exitStatus() == nil else { return }
        kill(pid, SIGKILL)
        _ = waitForExit(seconds: 5)
    }

    /// Wait up to `seconds` for exit; nil on timeout. Polls with a back-off from 1 ms to 20 ms.
    public func waitForExit(seconds: Double) -> Int32? {
        let deadline = MonotonicDeadline.now() + UInt64(max(0, seconds) * 1e9)
        var pause: UInt64 = 1_000_000
        while true {
            if let status = exitStatus() { return status }
            let now = MonotonicDeadline.now()
            guard now < deadline else { return nil }
            let step = min(pause, deadline - now)
            var interval = timespec(tv_sec: Int(step / 1_000_000_000), tv_nsec: Int(step % 1_000_000_000))
            nanosleep(&interval, nil)
            pause = min(pause * 2, 20_000_000)
        }
    }

    /// wait(2) status: the exit code, or 128 + the signal that ended the process (as shells report it).
    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }

    /// The status shared by every copy of one `ChildProcess`.
    private final class ExitRecord: Sendable {
        let status = Mutex<Int32?>(nil)
    }
}

/// The path this process was started from, resolved at startup (readlink /proc/self/exe, " (deleted)"
/// suffix stripped): the file a freshly installed binary replaces.
///
/// Call `current()` once early (the gateway does at startup): when a package manager replaces the binary, the
/// link then reads "/usr/bin/ringgate (deleted)", which the suffix stripping also copes with.
public enum ExecutablePath {
    public static func current() -> String { resolved }

    private static let resolved: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments.first ?? "" }
        let path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return stripDeleted(path)
    }()

    /// "/usr/bin/ringgate (deleted)" → "/usr/bin/ringgate".
    static func stripDeleted(_ path: String) -> String {
        let suffix = " (deleted)"
        return path.hasSuffix(suffix) ? String(path.dropLast(suffix.count)) : path
    }
}
