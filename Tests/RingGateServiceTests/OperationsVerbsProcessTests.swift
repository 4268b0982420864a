import Foundation
import Glibc
import RingGateRuntime
import TestSupport
import Testing

/// The workerman-style verbs against a real `ringgate start` (Register, 2-shard text gateway and demo
/// worker on free loopback ports): `connections` (table, JSON Lines, pages of one), `status --watch`
/// (refreshes, exits 0 on Ctrl-C), and `restart` in the foreground and with `-d`, each time with the
/// old instance draining and exiting 0 and the new one started with the same arguments and environment.
@Suite(.serialized) struct OperationsVerbsProcessTests {
    @Test(.timeLimit(.minutes(3))) func connectionsWatchAndRestart() throws {
        let ports = try freePorts(count: 3)
        let startPort = try freeConsecutivePorts(count: 2)
        let (registerPort, textPort, adminPort) = (ports[0], ports[1], ports[2])
        let admin = "127.0.0.1:\(adminPort)"
        let logFile = "/tmp/ringgate-restart-test-\(getpid()).log"
        defer { unlink(logFile) }
        let environment = [
            "RINGGATE_GATEWAY_REGISTER_ADDRESS": "127.0.0.1:\(registerPort)", "RINGGATE_REGISTER_ENABLED": "true",
            "RINGGATE_WORKER_DEMO_ENABLED": "true",
        ]
        let original = try RingGateProcess(
            [
                "start", "--log-file", logFile,
                "--set", "register.listen=127.0.0.1:\(registerPort)",
                "--set", "gateway.listen=text://127.0.0.1:\(textPort)",
                "--set", "gateway.start_port=\(startPort)",
                "--set", "gateway.shards=2",
                "--set", "gateway.huge_pages=off",
                "--set", "gateway.drain_seconds=2",
                "--set", "worker_demo.register_address=127.0.0.1:\(registerPort)",
                "--set", "admin.listen=\(admin)",
            ], environment: environment)
        var pidsToReap: [Int32] = []
        defer { for pid in pidsToReap { kill(pid, SIGKILL) } }
        try #require(original.waitForOutput("admin endpoint listening", seconds: 30), "\(original.output)")

        // connections: three clients, listed in pages of one, as a table and as JSON Lines.
        let clients = try (0..<3).map { _ in try TestClient(port: textPort) }
        try clients[0].send("hello\n")
        var table = ""
        #expect(
            poll(seconds: 10) {
                table = (try? run(["connections", "--admin", admin, "--page-size", "1"]).output) ?? ""
                return table.contains("\n3 connections\n")
            }, "\(table)")
        let lines = table.split(separator: "\n")
        #expect(lines.first?.hasPrefix("shard client_id") == true)
        #expect(lines.count == 5)
        #expect(lines.filter { $0.contains("ESTABLISHED") && $0.contains("text://127.0.0.1:\(textPort)") }.count == 3)
        let json = try run(["connections", "--admin", admin, "--json"])
        #expect(json.status == 0)
        let rows = try json.output.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(
            Set(rows.compactMap { $0["remote"] as? String }) == Set(clients.map { "127.0.0.1:\($0.localPort)" }))
        let keys: Set<String> = [
            "shard", "client_id", "remote", "listener", "state", "uid", "groups", "bytes_in", "bytes_out",
            "queued_bytes", "age_seconds",
        ]
        #expect(rows.allSatisfy { Set($0.keys) == keys })
        #expect(rows.contains { ($0["bytes_in"] as? Int) == 6 })
        #expect(rows.allSatisfy { ($0["client_id"] as? String)?.count == 20 })

        // status --watch: refreshes until SIGINT, then exits 0.
        let watch = try RingGateProcess(["status", "--watch", "--interval", "0.2", "--admin", admin])
        #expect(poll(seconds: 15) { watch.output.components(separatedBy: "Press Ctrl+C to quit.").count >= 3 })
        #expect(watch.output.contains("total"))
        watch.signal(SIGINT)
        #expect(watch.exitStatus(within: 10) == 0)

        // restart in the foreground: the old instance drains (its clients are closed) and exits 0; the
        // restart process becomes the new instance.
        let restart = try RingGateProcess(["restart", "--timeout", "20", "--admin", admin])
        #expect(original.exitStatus(within: 30) == 0, "\(original.output)")
        #expect(clients.allSatisfy { $0.waitForClose() })
        let foregroundPID = restart.process.processIdentifier
        pidsToReap.append(foregroundPID)
        #expect(poll(seconds: 30) { (try? statusPID(admin)) == foregroundPID }, "\(restart.output)")
        #expect(restart.process.isRunning)

        // restart -d: the new instance detaches; the command exits 0 once it serves, with the Register
        // (enabled through the environment only) running again.
        let daemon = try run(["restart", "-d", "--timeout", "20", "--admin", admin])
        #expect(daemon.status == 0, "\(daemon.output)")
        #expect(restart.exitStatus(within: 30) == 0, "\(restart.output)")
        let daemonPID = try statusPID(admin)
        pidsToReap.append(daemonPID)
        #expect(daemonPID != foregroundPID && daemonPID != original.process.processIdentifier)
        let status = try #require(
            try JSONSerialization.jsonObject(with: Data(run(["status", "--json", "--admin", admin]).output.utf8))
                as? [String: Any])
        #expect(status["register"] is [String: Any])
        #expect(try run(["stop", "--admin", admin]).status == 0)
        #expect(poll(seconds: 10) { kill(daemonPID, 0) != 0 })

        // Nothing running: restart says so and fails.
        #expect(try run(["restart", "--admin", admin]).status != 0)
    }

    private func statusPID(_ admin: String) throws -> Int32 {
        let object = try JSONSerialization.jsonObject(
            with: Data(run(["status", "--json", "--admin", admin]).output.utf8))
        return try #require((object as? [String: Any])?["pid"] as? Int32)
    }

    /// Runs a short ringgate command to its end (bounded), returning its exit status and output.
    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = try RingGateProcess(arguments)
        let status = try #require(process.exitStatus(within: 60), "ringgate \(arguments) did not end")
        return (status, process.output)
    }
}
