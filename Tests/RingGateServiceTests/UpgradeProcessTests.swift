import Foundation
import Glibc
import RingGateRuntime
import TestSupport
import Testing

/// `ringgate upgrade` between real processes: the embedded default (Register, two gateway shards, the demo
/// chat worker) runs from a copy of the binary; the upgrade starts the binary at that path, hands it every
/// client, and the old process exits 0. The chat goes on over the same WebSocket connections with the same
/// client_ids, names (sessions) and room (group); systemd hears the new main PID.
@Suite(.serialized) struct UpgradeProcessTests {
    /// One `ringgate start` from a private copy of the binary, on free ports.
    final class Instance {
        let directory: URL
        let binary: URL
        let process = Process()
        let log: URL
        let webSocketPort: UInt16
        let admin: SocketAddress
        let notifyPath: String
        let systemd: NotifyReceiver

        init(environment extra: [String: String] = [:]) throws {
            directory = URL(fileURLWithPath: "/tmp/ringgate-upgrade-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            binary = directory.appendingPathComponent("ringgate")
            try FileManager.default.copyItem(at: try ringgateBinary(), to: binary)
            let ports = try freePorts(count: 3)
            let startPort = try freeConsecutivePorts(count: 2)
            webSocketPort = ports[1]
            admin = SocketAddress("127.0.0.1:\(ports[2])")!
            notifyPath = directory.appendingPathComponent("notify").path
            systemd = try NotifyReceiver(name: notifyPath)
            log = directory.appendingPathComponent("log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try FileHandle(forWritingTo: log)
            process.executableURL = binary
            process.arguments = [
                "start",
                "--set", "register.listen=127.0.0.1:\(ports[0])",
                "--set", "gateway.listen=websocket://127.0.0.1:\(webSocketPort)",
                "--set", "gateway.start_port=\(startPort)",
                "--set", "gateway.shards=2",
                "--set", "gateway.huge_pages=off",
                "--set", "worker_demo.register_address=127.0.0.1:\(ports[0])",
                "--set", "admin.listen=\(admin)",
            ]
            process.environment =
                [
                    "NOTIFY_SOCKET": notifyPath, "RINGGATE_GATEWAY_REGISTER_ADDRESS": "127.0.0.1:\(ports[0])",
                    "RINGGATE_REGISTER_ENABLED": "true", "RINGGATE_WORKER_DEMO_ENABLED": "true",
                ].merging(extra) { $1 }
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        /// The next notify datagram containing `needle`, or nil.
        func notification(containing needle: String, seconds: Int = 30) -> String? {
            let deadline = monotonicSeconds() + Double(seconds)
            while monotonicSeconds() < deadline {
                if let message = systemd.receive(timeoutSeconds: 1), message.contains(needle) { return message }
            }
            return nil
        }

        func upgrade() throws -> (status: Int32, output: String) {
            let upgrade = Process()
            upgrade.executableURL = binary
            upgrade.arguments = ["upgrade", "--admin", "\(admin)"]
            let pipe = Pipe()
            upgrade.standardOutput = pipe
            upgrade.standardError = pipe
            try upgrade.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            upgrade.waitUntilExit()
            return (upgrade.terminationStatus, String(decoding: output, as: UTF8.self))
        }

        /// The pid `/status` reports (whichever process serves the admin endpoint now).
        func servingPID() -> Int32? { ((try? status(admin))?["pid"] as? Int).map(Int32.init) }

        /// Stops whichever process serves now (the original or a successor) and removes the files.
        func cleanUp(extraPIDs: [Int32]) {
            for pid in extraPIDs where pid > 0 { kill(pid, SIGKILL) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            systemd.close()
            // The last run's log stays for a look after a failure.
            try? FileManager.default.removeItem(atPath: "/tmp/ringgate-upgrade-test-last.log")
            try? FileManager.default.copyItem(atPath: log.path, toPath: "/tmp/ringgate-upgrade-test-last.log")
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    static func waitForWorkers(_ instance: Instance) -> Bool {
        poll(seconds: 20) {
            ((try? status(instance.admin))?["shards"] as? [[String: Any]])?.allSatisfy {
                ($0["workers_connected"] as? Int ?? 0) >= 1
            } == true
        }
    }

    /// Chat clients: the welcome's client_id of each.
    static func join(_ instance: Instance, _ name: String) throws -> (WebSocketTestClient, String) {
        let client = try WebSocketTestClient(port: instance.webSocketPort, path: "/?name=\(name)")
        let welcome = Self.json(try nextText(client, containing: #""type":"welcome""#))
        return (client, welcome["client_id"] as? String ?? "")
    }

    @Test(.timeLimit(.minutes(3))) func clientsKeepTheirConnectionsIdentitySessionsAndRoomAcrossAnUpgrade() throws {
        guard (try? Ring(entries: 8, completionEntries: 16))?.supportsFixedFileInstall == true else {
            print("skipped: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8)")
            return
        }
        let instance = try Instance()
        var successor: Int32 = 0
        defer { instance.cleanUp(extraPIDs: [successor]) }
        try #require(instance.notification(containing: "READY=1") != nil, "no READY=1; log:\n\(instance.output)")
        try #require(Self.waitForWorkers(instance), "workers never registered; log:\n\(instance.output)")
        let (alice, aliceID) = try Self.join(instance, "alice")
        let (bob, _) = try Self.join(instance, "bob")
        let (carol, carolID) = try Self.join(instance, "carol")
        try alice.send(text: #"{"type":"say","text":"before"}"#)
        #expect(Self.json(try nextText(bob, containing: "before"))["from"] as? String == aliceID)
        // Carol is halfway through a frame when the upgrade starts.
        let frame = WebSocketTestClient.frame(opcode: 1, payload: Array(#"{"type":"say","text":"split"}"#.utf8))
        try carol.connection.send(Array(frame.prefix(11)))

        let oldPID = instance.process.processIdentifier
        let (code, report) = try instance.upgrade()
        #expect(code == 0, "upgrade failed:\n\(report)\nlog:\n\(instance.output)")
        #expect(report.contains("done:"))
        let notified = try #require(
            instance.notification(containing: "MAINPID="), "no MAINPID; log:\n\(instance.output)")
        successor = Int32(notified.split(separator: "\n").first { $0.hasPrefix("MAINPID=") }!.dropFirst(8)) ?? 0
        #expect(successor > 0 && successor != oldPID)
        #expect(poll(seconds: 15) { !instance.process.isRunning }, "the old process did not exit")
        instance.process.waitUntilExit()
        #expect(instance.process.terminationStatus == 0)

        // Same connections, same ids, same names (sessions), same room (group).
        try alice.send(text: #"{"type":"say","text":"after"}"#)
        let after = Self.json(try nextText(bob, containing: #""text":"after""#))
        #expect(after["from"] as? String == aliceID)
        #expect(after["name"] as? String == "alice")
        try carol.connection.send(Array(frame.dropFirst(11)))
        let split = Self.json(try nextText(alice, containing: #""text":"split""#))
        #expect(split["from"] as? String == carolID && split["name"] as? String == "carol")
        #expect(poll(seconds: 10) { instance.servingPID() == successor })
        let shards = try #require((try status(instance.admin))["shards"] as? [[String: Any]])
        #expect(shards.compactMap { $0["connections"] as? Int }.reduce(0, +) == 3)
        #expect(instance.output.contains("takeover complete"))
    }

    @Test(.timeLimit(.minutes(2))) func aNewBinaryThatDiesHalfwayLeavesEveryClientWithTheOldProcess() throws {
        guard (try? Ring(entries: 8, completionEntries: 16))?.supportsFixedFileInstall == true else {
            print("skipped: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8)")
            return
        }
        let instance = try Instance(environment: ["RINGGATE_TEST_TAKEOVER_CRASH": "on-first-shard"])
        defer { instance.cleanUp(extraPIDs: []) }
        try #require(instance.notification(containing: "READY=1") != nil, "no READY=1; log:\n\(instance.output)")
        try #require(Self.waitForWorkers(instance), "workers never registered; log:\n\(instance.output)")
        let (alice, aliceID) = try Self.join(instance, "alice")
        let (bob, _) = try Self.join(instance, "bob")
        let (code, report) = try instance.upgrade()
        #expect(code == 1)
        #expect(report.contains("upgrade abandoned; every client is still served"), "report:\n\(report)")
        #expect(instance.process.isRunning)
        // The old process's workers come back and the chat goes on, same ids, same names.
        try #require(Self.waitForWorkers(instance), "workers did not come back; log:\n\(instance.output)")
        try alice.send(text: #"{"type":"say","text":"still here"}"#)
        let said = Self.json(try nextText(bob, containing: "still here"))
        #expect(said["from"] as? String == aliceID && said["name"] as? String == "alice")
        let (carol, _) = try Self.join(instance, "carol")
        _ = carol
        #expect(instance.servingPID() == instance.process.processIdentifier)
    }

    /// An operator's SIGTERM to the old process while its clients are being handed over used to be lost:
    /// the old process took the wake-up it sends itself after the handover for a second Ctrl-C and `_exit`ed
    /// (sometimes before the `/upgrade` answer was out, so the CLI reported a done upgrade as failed), and
    /// the new process served on. The stop is now passed to the new process, which drains the clients.
    @Test(.timeLimit(.minutes(2))) func aStopDuringTheUpgradeReachesTheProcessThatHoldsTheClients() throws {
        guard (try? Ring(entries: 8, completionEntries: 16))?.supportsFixedFileInstall == true else {
            print("skipped: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8)")
            return
        }
        // Each shard's adoption waits 2.5 s, so the signal lands mid-takeover, and the takeover outlasts the
        // stop's own deadline (drain 1 s + 3 s): that deadline counts from the takeover's end, or the old
        // process would exit halfway and lose the clients not yet adopted.
        let instance = try Instance(
            environment: ["RINGGATE_GATEWAY_DRAIN_SECONDS": "1", "RINGGATE_TEST_TAKEOVER_PAUSE_MS": "2500"])
        var successor: Int32 = 0
        defer { instance.cleanUp(extraPIDs: [successor]) }
        try #require(instance.notification(containing: "READY=1") != nil, "no READY=1; log:\n\(instance.output)")
        try #require(Self.waitForWorkers(instance), "workers never registered; log:\n\(instance.output)")
        let (alice, _) = try Self.join(instance, "alice")
        let oldPID = instance.process.processIdentifier

        // `ringgate upgrade` runs while the test signals the old process.
        let upgrade = Process()
        upgrade.executableURL = instance.binary
        upgrade.arguments = ["upgrade", "--admin", "\(instance.admin)"]
        let upgradeLog = instance.directory.appendingPathComponent("upgrade-output")
        _ = FileManager.default.createFile(atPath: upgradeLog.path, contents: nil)
        upgrade.standardOutput = try FileHandle(forWritingTo: upgradeLog)
        upgrade.standardError = upgrade.standardOutput
        try upgrade.run()
        try #require(
            poll(seconds: 30) { instance.output.contains("the new binary accepted the takeover") },
            "the takeover never started; log:\n\(instance.output)")
        kill(oldPID, SIGTERM)

        #expect(poll(seconds: 30) { !upgrade.isRunning }, "ringgate upgrade never returned")
        upgrade.waitUntilExit()
        let report = (try? String(contentsOf: upgradeLog, encoding: .utf8)) ?? ""
        #expect(upgrade.terminationStatus == 0, "\(report)\nlog:\n\(instance.output)")
        #expect(report.contains("done:"), "\(report)")
        let notified = try #require(instance.notification(containing: "MAINPID="), "log:\n\(instance.output)")
        successor = Int32(notified.split(separator: "\n").first { $0.hasPrefix("MAINPID=") }!.dropFirst(8)) ?? 0
        #expect(poll(seconds: 15) { !instance.process.isRunning }, "the old process did not exit")
        instance.process.waitUntilExit()
        #expect(instance.process.terminationStatus == 0)
        #expect(instance.output.contains("passed to the new process"), "log:\n\(instance.output)")
        // The new process drains its clients (close 1001) and exits, as the old one would have.
        #expect(try nextClose(alice) == 1001, "log:\n\(instance.output)")
        #expect(
            poll(seconds: 15) { !Self.isAlive(successor) }, "the new process still serves; log:\n\(instance.output)")
    }

    /// Whether `pid` runs (a zombie waiting for its reaper does not).
    static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let state = stat.split(separator: ")").last?.split(separator: " ").first
        else { return false }
        return state != "Z" && state != "X"
    }

    @Test(.timeLimit(.minutes(5))) func tenUpgradesInARowLeakNothing() throws {
        guard (try? Ring(entries: 8, completionEntries: 16))?.supportsFixedFileInstall == true else {
            print("skipped: this kernel lacks IORING_OP_FIXED_FD_INSTALL (Linux 6.8)")
            return
        }
        let instance = try Instance()
        var serving: Int32 = 0
        defer { instance.cleanUp(extraPIDs: [serving]) }
        try #require(instance.notification(containing: "READY=1") != nil, "no READY=1; log:\n\(instance.output)")
        try #require(Self.waitForWorkers(instance))
        let (alice, aliceID) = try Self.join(instance, "alice")
        let (bob, _) = try Self.join(instance, "bob")
        var descriptorCounts: [Int] = []
        for round in 1...10 {
            let (code, report) = try instance.upgrade()
            try #require(code == 0, "round \(round):\n\(report)\nlog:\n\(instance.output)")
            let notified = try #require(instance.notification(containing: "MAINPID="))
            serving = Int32(notified.split(separator: "\n").first { $0.hasPrefix("MAINPID=") }!.dropFirst(8)) ?? 0
            try #require(poll(seconds: 10) { instance.servingPID() == serving })
            try alice.send(text: #"{"type":"say","text":"round \#(round)"}"#)
            let said = Self.json(try nextText(bob, containing: "round \(round)"))
            #expect(said["from"] as? String == aliceID)
            let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(serving)/fd").count) ?? 0
            descriptorCounts.append(descriptors)
        }
        // Each process holds the same kinds of descriptors: the count does not grow with the upgrades.
        #expect(descriptorCounts.last! <= descriptorCounts.first! + 4, "descriptors per round: \(descriptorCounts)")
    }
}
