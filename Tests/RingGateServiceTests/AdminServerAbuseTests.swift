import Glibc
import Logging
import RingGateRuntime
import Synchronization
import TestSupport
import Testing

@testable import RingGateService

/// A local peer cannot flood the log through the admin endpoint or make it hold unbounded connections:
/// bad requests are counted and logged once per interval, connections past 64 are refused and counted.
@Suite(.timeLimit(.minutes(1))) struct AdminServerAbuseTests {
    final class Lines: Sendable {
        let stored = Mutex<[String]>([])
        var logger: Logger { Logger(label: "test") { _ in Handler(lines: self) } }

        struct Handler: LogHandler {
            let lines: Lines
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) { lines.stored.withLock { $0.append("\(event.message)") } }
        }
    }

    @Test func badRequestsAreCountedAndTheirLogLinesThrottled() throws {
        let lines = Lines()
        let server = try AdminServer(address: SocketAddress("127.0.0.1:0")!, logger: lines.logger) { _ in
            AdminServer.Response(status: 200, text: "ok\n")
        }
        server.start()
        defer { server.stop() }
        for _ in 0..<20 {
            let client = try TestClient(port: server.address.port)
            try client.send("NONSENSE\r\n\r\n")
            #expect(String(decoding: try client.receiveUntilClosed(), as: UTF8.self).hasPrefix("HTTP/1.1 400 "))
        }
        #expect(server.counters.badRequests.load(ordering: .relaxed) == 20)
        let logged = lines.stored.withLock { $0 }.filter { $0.hasPrefix("admin request refused") }
        #expect(logged == ["admin request refused: malformed request head (400)"])
        let page = GatewayMetrics.render(
            reports: [], register: nil, memory: ProcessFigures.memory(), uptimeSeconds: 1, shuttingDown: false,
            admin: server.counters)
        #expect(page.contains("\nringgate_admin_bad_requests_total 20\n"), "\(page)")
    }

    @Test func connectionsPastTheCapAreRefused() throws {
        let lines = Lines()
        let server = try AdminServer(address: SocketAddress("127.0.0.1:0")!, logger: lines.logger) { _ in
            AdminServer.Response(status: 200, text: "ok\n")
        }
        server.start()
        defer { server.stop() }
        let idle = try (0..<(AdminServer.maxConnections + 6)).map { _ in try TestClient(port: server.address.port) }
        #expect(poll(seconds: 5) { server.counters.refusedConnections.load(ordering: .relaxed) == 6 })
        #expect(idle.count == AdminServer.maxConnections + 6)
        let refusals = lines.stored.withLock { $0 }.filter { $0.hasPrefix("admin connection refused") }
        #expect(refusals == ["admin connection refused: 64 already open"])
    }
}
