import ArgumentParser
import Foundation
import Glibc
import RingGateRuntime

/// `ringgate start --daemon`: the same command runs again in a new session with its output in a log
/// file; this process waits until the child serves (its admin endpoint answers /health), prints its
/// pid and exits. Spawned rather than forked: a forked Swift process with threads is not safe.
enum Daemon {
    /// Without an admin endpoint there is nothing to ask: the child counts as serving once it has
    /// stayed up for `settleSeconds`.
    static let settleSeconds = 2.0

    /// `environment`: `NAME=value` entries for the child; nil passes this process's own.
    static func detach(logFile: String, arguments: [String], admin: SocketAddress?, environment: [String]? = nil) throws
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID: glibc hides the name without _GNU_SOURCE.
        posix_spawnattr_setflags(&attributes, Int16(0x80))
        let path = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments.dropFirst()).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        markInheritedDescriptorsCloseOnExec()
        var pid: pid_t = 0
        var envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup($0) } + [nil] }
        defer { for pointer in envp ?? [] { free(pointer) } }
        let result =
            envp == nil
            ? posix_spawn(&pid, path, &actions, &attributes, &argv, environ)
            : posix_spawn(&pid, path, &actions, &attributes, &argv, &envp!)
        guard result == 0 else {
            throw ValidationError("cannot start the daemon: \(String(cString: strerror(result)))")
        }
        let started = Date()
        while Date().timeIntervalSince(started) < 30 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw ValidationError("the daemon exited at once (status \(status)); see \(logFile)")
            }
            if let admin {
                if let (code, _) = try? AdminClient.get("/health", from: admin, timeoutSeconds: 2), code == 200 {
                    print("RingGate running in the background, pid \(pid), log \(logFile)")
                    return
                }
            } else if Date().timeIntervalSince(started) >= settleSeconds {
                print("RingGate started in the background, pid \(pid), log \(logFile) (admin endpoint off)")
                return
            }
            usleep(200_000)
        }
        throw ValidationError("the daemon (pid \(pid)) did not answer within 30 s; see \(logFile)")
    }

    /// A daemon keeps only stdin, stdout and stderr. Whatever else this command inherited (a pipe or
    /// socket its own parent watches for EOF to learn that the command ended, e.g. Foundation's
    /// `Process`) would otherwise stay open for the daemon's whole life, and the parent would wait on it.
    /// (posix_spawn_file_actions_addclosefrom_np is hidden without _GNU_SOURCE.)
    private static func markInheritedDescriptorsCloseOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for descriptor in entries.compactMap({ Int32($0) }) where descriptor > 2 {
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
