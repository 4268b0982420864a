import Glibc
import TestSupport
import Testing

@testable import RingGateRuntime

/// Starting the successor binary: the channel arrives as descriptor 3 and nothing else leaks in, the child
/// starts with a clean signal mask, and its end is observed, reaped and killed within bounds.
@Suite(.timeLimit(.minutes(1)))
struct ChildProcessTests {
    /// A framed channel message written by `sh`'s printf (octal escapes): u32 BE length, u32 BE count 0.
    static func frame(_ payload: String) -> String {
        let length = payload.utf8.count
        let header = [0, 0, length >> 8, length & 0xFF, 0, 0, 0, 0].map { "\\\(String($0, radix: 8))" }
        return "printf '\(header.joined())%s' \"\(payload)\" >&3"
    }

    /// The child writes framed messages to descriptor 3 (the channel), reports whether the parent's own
    /// descriptor number of that end reached it (it must not: only the dup2'ed 3 is inherited), and echoes an
    /// environment variable. EOF follows when it exits.
    @Test func childWritesToTheInheritedChannelOnDescriptorThree() throws {
        let parentEnd: HandoverChannel
        let child: ChildProcess
        do {
            let (parentSide, childEnd) = try HandoverChannel.pair()
            let original = childEnd.descriptor
            let leakCheck =
                original == ChildProcess.inheritedDescriptor
                ? Self.frame("closed")
                : "if [ -e /proc/$$/fd/\(original) ]; then \(Self.frame("leaked")); else \(Self.frame("closed")); fi"
            let script = [Self.frame("hello"), leakCheck, "printf '\\0\\0\\0\\3\\0\\0\\0\\0%s' \"$HANDOVER_MARK\" >&3"]
            child = try ChildProcess.spawn(
                path: "/bin/sh", arguments: ["sh", "-c", script.joined(separator: "; ")],
                environment: ["PATH": "/usr/bin:/bin", "HANDOVER_MARK": "xyz"], inherited: childEnd.descriptor)
            parentEnd = parentSide
        }  // the parent's copy of the child's end closes here, so EOF means the child is gone
        #expect(try parentEnd.receive(timeoutMilliseconds: 10_000).payload == Array("hello".utf8))
        #expect(try parentEnd.receive(timeoutMilliseconds: 10_000).payload == Array("closed".utf8))
        #expect(try parentEnd.receive(timeoutMilliseconds: 10_000).payload == Array("xyz".utf8))
        #expect(throws: HandoverChannelError.closed) { try parentEnd.receive(timeoutMilliseconds: 10_000) }
        #expect(child.waitForExit(seconds: 10) == 0)
    }

    /// A thread of the gateway blocks its shutdown signals for the signal waiter; the successor must not start
    /// with them blocked. The shell execs grep, which reads its own mask: a shell waiting for a child blocks
    /// every signal for moments of its own, so its mask is not the one to read.
    @Test func childStartsWithAnEmptySignalMask() throws {
        let pipe = try Takeover.Pipe()
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGUSR2)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        let child = Result {
            try ChildProcess.spawn(
                path: "/bin/sh", arguments: ["sh", "-c", "exec grep SigBlk /proc/self/status >&3"], environment: [:],
                inherited: pipe.writeEnd)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        let started = try child.get()
        pipe.closeWriteEnd()
        #expect(Self.readAll(pipe.readEnd) == "SigBlk:\t0000000000000000\n")
        #expect(started.waitForExit(seconds: 10) == 0)
    }

    @Test func killAndReapEndsASleepingChild() throws {
        let pipe = try Takeover.Pipe()
        let child = try ChildProcess.spawn(
            path: "/bin/sleep", arguments: ["sleep", "30"], environment: [:], inherited: pipe.writeEnd)
        pipe.closeWriteEnd()
        #expect(child.exitStatus() == nil)
        child.killAndReap()
        #expect(child.exitStatus() == 128 + SIGKILL)
        #expect(kill(child.pid, 0) == -1 && errno == ESRCH, "the child was not reaped")
        #expect(pipe.writersAreGone, "the child's descriptor 3 outlived it")
    }

    @Test func exitStatusIsReportedAndRemembered() throws {
        let pipe = try Takeover.Pipe()
        let child = try ChildProcess.spawn(
            path: "/bin/sh", arguments: ["sh", "-c", "exit 3"], environment: [:], inherited: pipe.writeEnd)
        #expect(child.waitForExit(seconds: 10) == 3)
        #expect(child.exitStatus() == 3)
        let copy = child
        #expect(copy.exitStatus() == 3)
    }

    @Test func waitForExitTimesOutWhileTheChildRuns() throws {
        let pipe = try Takeover.Pipe()
        let child = try ChildProcess.spawn(
            path: "/bin/sleep", arguments: ["sleep", "30"], environment: [:], inherited: pipe.writeEnd)
        defer { child.killAndReap() }
        #expect(child.waitForExit(seconds: 0.05) == nil)
    }

    @Test func missingBinaryThrows() throws {
        let pipe = try Takeover.Pipe()
        #expect(throws: SystemError("posix_spawn(/nonexistent/ringgate)", errno: ENOENT)) {
            try ChildProcess.spawn(
                path: "/nonexistent/ringgate", arguments: ["ringgate"], environment: [:], inherited: pipe.writeEnd)
        }
    }

    @Test func executablePathIsThisRunningBinary() {
        let path = ExecutablePath.current()
        #expect(path.hasPrefix("/"))
        #expect(access(path, X_OK) == 0, "\(path)")
        #expect(ExecutablePath.stripDeleted("/usr/bin/ringgate (deleted)") == "/usr/bin/ringgate")
        #expect(ExecutablePath.stripDeleted("/usr/bin/ringgate") == "/usr/bin/ringgate")
    }

    /// Reads until EOF, giving up after 10 s without data.
    static func readAll(_ descriptor: Int32) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 10_000) == 1 else { break }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Adopting an inherited listener: the same socket keeps accepting in its new owner.
@Suite(.timeLimit(.minutes(1)))
struct ListeningSocketAdoptionTests {
    /// A duplicate (close-on-exec) adopted as a new ListeningSocket reports the same address and accepts a
    /// connection after the original owner closed its descriptor.
    @Test func duplicateOfARealListenerIsAdopted() throws {
        var original: ListeningSocket? = try ListeningSocket(
            binding: SocketAddress(host: "127.0.0.1", port: 0)!, reusePort: false)
        let address = original!.address
        let copy = try original!.duplicate()
        #expect(copy != original!.descriptor)
        #expect(Takeover.isCloseOnExec(copy))
        let adopted = try ListeningSocket(adopting: copy)
        original = nil
        #expect(adopted.address == address)
        let client = try TestClient(port: address.port)
        var entry = pollfd(fd: adopted.descriptor, events: Int16(POLLIN), revents: 0)
        try #require(poll(&entry, 1, 5_000) == 1)
        let accepted = accept(adopted.descriptor, nil, nil)
        #expect(accepted >= 0)
        #expect(RingFileHandoverTests.ports(of: accepted).peer == client.localPort)
        close(accepted)
    }

    /// A TCP socket that is not listening is refused, and stays the caller's to close.
    @Test func nonListeningSocketIsRefused() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        #expect(throws: SystemError.self) { try ListeningSocket(adopting: descriptor) }
        #expect(fcntl(descriptor, F_GETFD) >= 0, "the refused descriptor was closed")
    }
}
