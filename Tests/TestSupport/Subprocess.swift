import Glibc

/// A child process for tests (a helper script, a browser check), bounded in time: it runs in its own
/// process group, and the whole group is killed when the time limit passes, so nothing outlives
/// the test. Waiting suspends instead of blocking, leaving the cooperative pool to the code under test.
public enum Subprocess {
    /// How a run ended: the exit status (nil when killed at the time limit) and stdout+stderr.
    public struct Outcome: Sendable {
        public var exitStatus: Int32?
        public var output: String
    }

    /// Runs `arguments` (the first is looked up in PATH) with stdout and stderr collected; throws
    /// when the process cannot be started.
    public static func run(_ arguments: [String], timeLimitSeconds: Double) async throws -> Outcome {
        var template = Array("/tmp/ringgate-subprocess-XXXXXX".utf8CString)
        let outputDescriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard outputDescriptor >= 0 else { throw TestClient.Failure.system("mkstemp", errno) }
        let outputPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer {
            close(outputDescriptor)
            unlink(outputPath)
        }
        let pid = try spawn(arguments, output: outputDescriptor)
        let deadline = monotonicSeconds() + timeLimitSeconds
        var status: Int32 = 0
        var exitStatus: Int32? = nil
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                // WIFEXITED / WEXITSTATUS, which Glibc does not import as functions.
                exitStatus = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
                break
            }
            if monotonicSeconds() > deadline {
                kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        kill(-pid, SIGKILL)  // whatever the child left running in its group
        return Outcome(exitStatus: exitStatus, output: readAll(outputDescriptor))
    }

    private static func spawn(_ arguments: [String], output: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let cStrings = arguments.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var argv = cStrings + [nil]
        var pid: pid_t = 0
        let result = argv.withUnsafeMutableBufferPointer { buffer in
            posix_spawnp(&pid, buffer[0]!, &actions, &attributes, buffer.baseAddress!, environ)
        }
        guard result == 0 else { throw TestClient.Failure.system("posix_spawnp \(arguments[0])", result) }
        return pid
    }

    private static func readAll(_ descriptor: Int32) -> String {
        lseek(descriptor, 0, SEEK_SET)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The first executable named `name` in PATH (or `name` itself when it is a path), or nil.
    public static func findExecutable(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
