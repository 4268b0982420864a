import Foundation
import Glibc
import Logging
import RingGateRuntime
import TestSupport
import Testing

@testable import RingGateService

@Suite struct AdminServerTests {
    @Test func requestHeads() {
        #expect(AdminServer.parseHead(Array("GET /status HTTP/1.1\r\nHost: x\r\n".utf8)) == .incomplete)
        #expect(
            AdminServer.parseHead(Array("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                == .request(AdminServer.Request(method: "GET", path: "/metrics", query: "x=1")))
        #expect(AdminServer.parseHead(Array("GET status HTTP/1.1\r\n\r\n".utf8)) == .malformed)
        #expect(AdminServer.parseHead(Array("GET / SPDY\r\n\r\n".utf8)) == .malformed)
        #expect(AdminServer.parseHead([UInt8](repeating: 65, count: 9_000)) == .tooLarge)
    }

    @Test func responsesAreCompleteHTTP() {
        let bytes = AdminServer.serialize(AdminServer.Response(status: 404, text: "no\n"), headOnly: false)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\n"
                + "Cache-Control: no-store\r\nConnection: close\r\n\r\nno\n")
    }

    /// Over loopback: routes, a method other than GET, and a client that sends its head in pieces.
    @Test func servesOverLoopback() throws {
        let server = try AdminServer(address: SocketAddress("127.0.0.1:0")!, logger: Logger(label: "test")) { request in
            request.path == "/hello"
                ? AdminServer.Response(status: 200, text: "hi \(request.query)\n")
                : AdminServer.Response(status: 404, text: "no\n")
        }
        server.start()
        defer { server.stop() }
        #expect(try exchange(server.address, ["GET /hello?x HTTP/1.1\r\n\r\n"]).hasSuffix("\r\n\r\nhi x\n"))
        #expect(try exchange(server.address, ["GET /nope HTTP/1.1\r\n\r\n"]).hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(try exchange(server.address, ["POST /hello HTTP/1.1\r\n\r\n"]).hasPrefix("HTTP/1.1 405 "))
        #expect(try exchange(server.address, ["GET /hel", "lo HTTP/1.1\r\n", "\r\n"]).hasSuffix("hi \n"))
    }

    private func exchange(_ address: SocketAddress, _ pieces: [String]) throws -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try #require(address.withSockAddr { connect(descriptor, $0, $1) } == 0)
        for piece in pieces {
            _ = Array(piece.utf8).withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            usleep(20_000)
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }
}

@Suite struct SystemdNotifierTests {
    @Test func sendsDatagramsToAPathAndToAnAbstractSocket() throws {
        let path = "/tmp/ringgate-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        for name in [path, "@" + path.dropFirst(5)] {
            let receiver = try NotifyReceiver(name: String(name))
            defer { receiver.close() }
            let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": String(name)]))
            #expect(notifier.notify("READY=1"))
            #expect(notifier.notify("STOPPING=1"))
            #expect(receiver.receive() == "READY=1")
            #expect(receiver.receive() == "STOPPING=1")
        }
        #expect(SystemdNotifier(environment: [:]) == nil)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "relative"]) == nil)
    }

    @Test func watchdogInterval() {
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"]) == .seconds(30))
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: [:]) == nil)
    }
}

@Suite struct StartupCheckTests {
    private func file(_ contents: String) -> String {
        let path = "/tmp/ringgate-check-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        FileManagerless.write(contents, to: path)
        return path
    }

    @Test func ioUringDisabledIsFatal() {
        let disabled = file("2\n")
        defer { unlink(disabled) }
        let findings = StartupChecks.ioUring(disabledFile: disabled)
        #expect(findings.count == 1 && findings[0].severity == .fatal)
        #expect(findings[0].message.contains("kernel.io_uring_disabled = 2"))
        let enabled = file("0\n")
        defer { unlink(enabled) }
        #expect(StartupChecks.ioUring(disabledFile: enabled).isEmpty)  // and a ring could be created here
    }

    @Test func missingHugePagesGiveTheFallbackLineWithTheFix() throws {
        let meminfo = file("HugePages_Total:       4\nHugePages_Free:        4\nHugepagesize:       2048 kB\n")
        defer { unlink(meminfo) }
        var configuration = try ServiceConfiguration().gatewayConfiguration()
        configuration.shardCount = 2
        configuration.threadCount = 2
        let findings = StartupChecks.hugePages(configuration, meminfoFile: meminfo)
        #expect(
            findings == [
                StartupFinding(
                    severity: .warning,
                    message:
                        "huge pages: the slabs need 16 × 2 MiB pages (one slab per thread, 2 threads) but 4 are "
                        + "free (vm.nr_hugepages = 4); threads without one fall back to normal pages. Fix: sysctl -w "
                        + "vm.nr_hugepages=16 (deploy/sysctl/91-ringgate-hugepages.conf), or gateway.huge_pages: off "
                        + "to silence this")
            ])
        configuration.useHugePages = false
        #expect(StartupChecks.hugePages(configuration, meminfoFile: meminfo).isEmpty)
    }

    @Test func portInUseIsFatalAndNamesThePort() throws {
        let holder = try ListeningSocket(binding: SocketAddress("127.0.0.1:0")!, reusePort: true)
        var service = ServiceConfiguration()
        service.register.listen = holder.address
        service.admin.listen = nil
        let findings = StartupChecks.portsInUse(service, gateway: nil)
        #expect(findings.count == 1)
        #expect(
            findings.first?.message.hasPrefix(
                "register.listen on \(holder.address): port \(holder.address.port) is already in use") == true)
    }

    @Test func procStatusFieldsAreRead() {
        let fields = ProcessFigures.keyedKilobytes("Name:\tringgate\nVmRSS:\t   12345 kB\nRssAnon:\t    678 kB\n")
        #expect(fields == ["VmRSS": 12_345, "RssAnon": 678])
        #expect(ProcessFigures.memory().rssBytes > 1 << 20)  // this test process, read from /proc/self/status
    }

    @Test func lockedMemoryMattersOnlyBefore5_12() throws {
        var configuration = try ServiceConfiguration().gatewayConfiguration()
        configuration.shardCount = 2
        let old = OperatingSystemVersion(majorVersion: 5, minorVersion: 10, patchVersion: 0)
        let new = OperatingSystemVersion(majorVersion: 6, minorVersion: 1, patchVersion: 0)
        #expect(StartupChecks.lockedMemory(configuration, kernel: new, limit: 64 << 10).isEmpty)
        #expect(StartupChecks.lockedMemory(configuration, kernel: old, limit: .max).isEmpty)
        let findings = StartupChecks.lockedMemory(configuration, kernel: old, limit: 64 << 10)
        #expect(findings.first?.severity == .warning)
        #expect(
            findings.first?.message.hasPrefix("RLIMIT_MEMLOCK is 64 KiB but Linux 5.10 charges ring memory") == true)
    }

    @Test func connectionsPerShardAboveTheLimitIsFatal() throws {
        var service = ServiceConfiguration()
        service.gateway.connectionsPerShard = 1 << 20
        let gateway = try service.gatewayConfiguration()
        let findings = StartupChecks.openFiles(service, gateway: gateway)
        if ResourceLimits.openFiles < 1 << 20 {
            #expect(findings.first?.severity == .fatal)
            #expect(findings.first?.message.contains("io_uring caps each ring's file table at RLIMIT_NOFILE") == true)
        }
    }
}

/// A datagram socket standing in for systemd's notify socket.
final class NotifyReceiver {
    let descriptor: Int32
    let name: String

    init(name: String) throws {
        self.name = name
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let bound = SystemdNotifier.withSocketAddress(path: name) { bind(descriptor, $0, $1) }
        try #require(bound == 0, "bind \(name): errno \(errno)")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next datagram, or nil after `timeoutSeconds` (a signal, e.g. SIGCHLD, does not cut the wait).
    func receive(timeoutSeconds: Int = 5) -> String? {
        let deadline = monotonicSeconds() + Double(timeoutSeconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while monotonicSeconds() < deadline {
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { return String(decoding: buffer[..<count], as: UTF8.self) }
        }
        return nil
    }

    func close() {
        Glibc.close(descriptor)
        if !name.hasPrefix("@") { unlink(name) }
    }
}

enum FileManagerless {
    static func write(_ contents: String, to path: String) {
        let file = fopen(path, "w")
        fputs(contents, file)
        fclose(file)
    }
}
