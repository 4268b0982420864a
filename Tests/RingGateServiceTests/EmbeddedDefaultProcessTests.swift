import Foundation
import Glibc
import RingGateRuntime
import TestSupport
import Testing

/// `ringgate start` as a subprocess with the embedded default (Register, gateway, demo chat worker in
/// one process), on free loopback ports: two WebSocket clients chat, the admin endpoint and
/// `ringgate status` see them, systemd hears READY=1 and STOPPING=1, and SIGTERM drains the clients
/// (everything queued is delivered before close 1001) and exits 0.
@Suite(.serialized) struct EmbeddedDefaultProcessTests {
    @Test(.timeLimit(.minutes(2))) func chatStatusAndGracefulStop() throws {
        let ports = try freePorts(count: 3)
        let startPort = try freeConsecutivePorts(count: 2)
        let (registerPort, webSocketPort, adminPort) = (ports[0], ports[1], ports[2])
        let notifyPath = "/tmp/ringgate-notify-test-\(getpid())"
        let systemd = try NotifyReceiver(name: notifyPath)
        defer { systemd.close() }

        let process = Process()
        process.executableURL = try ringgateBinary()
        process.arguments = [
            "start",
            "--set", "register.listen=127.0.0.1:\(registerPort)",
            "--set", "gateway.listen=websocket://127.0.0.1:\(webSocketPort)",
            "--set", "gateway.start_port=\(startPort)",
            "--set", "gateway.shards=2",
            "--set", "gateway.huge_pages=off",
            "--set", "gateway.drain_seconds=10",
            "--set", "worker_demo.register_address=127.0.0.1:\(registerPort)",
            "--set", "admin.listen=127.0.0.1:\(adminPort)",
        ]
        // gateway.register_address follows the built-in Register's port; the demo stays on.
        process.environment = [
            "NOTIFY_SOCKET": notifyPath, "RINGGATE_GATEWAY_REGISTER_ADDRESS": "127.0.0.1:\(registerPort)",
            "RINGGATE_REGISTER_ENABLED": "true", "RINGGATE_WORKER_DEMO_ENABLED": "true",
        ]
        let log = URL(fileURLWithPath: "/tmp/ringgate-embedded-test-\(getpid()).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardError = logHandle
        process.standardOutput = logHandle
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        let logText = { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        let ready = systemd.receive(timeoutSeconds: 30)
        try #require(
            ready?.hasPrefix("READY=1") == true,
            "no READY=1 (running: \(process.isRunning)); log:\n\(logText())")

        // Both shards have the demo worker before any client connects.
        let admin = SocketAddress("127.0.0.1:\(adminPort)")!
        try #require(
            poll(seconds: 15) {
                ((try? status(admin))?["shards"] as? [[String: Any]])?.allSatisfy {
                    ($0["workers_connected"] as? Int) == 1
                } == true
            },
            "workers never registered; log:\n\(logText())")

        let alice = try WebSocketTestClient(port: webSocketPort, path: "/?name=alice")
        let bob = try WebSocketTestClient(port: webSocketPort, path: "/?name=bob")
        #expect(try nextText(alice, containing: #""type":"welcome""#).contains(#""name":"alice""#))
        #expect(try nextText(bob, containing: #""type":"welcome""#).contains(#""name":"bob""#))
        try alice.send(text: #"{"type":"say","text":"hello bob"}"#)
        #expect(try nextText(bob, containing: #""type":"say""#).contains(#""text":"hello bob""#))
        #expect(try nextText(alice, containing: #""type":"say""#).contains(#""name":"alice""#))

        // The admin endpoint and `ringgate status` see the two clients and the message.
        let document = try status(admin)
        #expect(((document["memory"] as? [String: Any])?["rss_bytes"] as? Int ?? 0) > 1 << 20)
        let shards = try #require(document["shards"] as? [[String: Any]])
        #expect(shards.count == 2)
        #expect(shards.compactMap { $0["connections"] as? Int }.reduce(0, +) == 2)
        #expect(shards.compactMap { $0["messages_in"] as? Int }.reduce(0, +) >= 1)
        let metrics = try httpGet("/metrics", from: admin)
        #expect(metrics.status == 200)
        let connections = metrics.body.split(separator: "\n").filter { $0.hasPrefix("ringgate_connections{") }
        #expect(connections.compactMap { Double($0.split(separator: " ").last!) }.reduce(0, +) == 2)
        #expect(metrics.body.contains("ringgate_register_service_gateways 2\n"))
        if let families = try prometheusParserFamilyCount(metrics.body) {
            #expect(families > 30, "the Prometheus client library's parser read \(families) families")
        }
        let table = try runRingGate(["status", "--admin", "127.0.0.1:\(adminPort)"])
        #expect(table.contains("shard") && table.contains("total"), "status table:\n\(table)")
        #expect(table.split(separator: "\n").contains { $0.hasPrefix("total") && $0.contains("      2") })

        // Queue 40 messages for Bob, who is not reading, then SIGTERM: Bob must get all 40, then close 1001.
        // Alice and Bob may be on different shards, each told by the worker separately: wait until both
        // shards queued their 40 (the counter counts queued messages), so all 80 were queued at SIGTERM.
        func messagesOut() throws -> Int {
            let shards = try #require(try status(admin)["shards"] as? [[String: Any]])
            return shards.compactMap { $0["messages_out"] as? Int }.reduce(0, +)
        }
        let queuedBefore = try messagesOut()
        for index in 0..<40 { try alice.send(text: #"{"type":"say","text":"m\#(index)"}"#) }
        _ = try nextText(alice, containing: #""text":"m39""#)
        try #require(poll(seconds: 10) { ((try? messagesOut()) ?? 0) >= queuedBefore + 80 })
        kill(process.processIdentifier, SIGTERM)
        var said: [String] = []
        var closeCode: UInt16?
        while closeCode == nil {
            let frame = try bob.receiveFrame()
            if frame.opcode == 8 {
                closeCode = frame.closeCode
            } else if frame.text.contains(#""type":"say""#), let range = frame.text.range(of: #""text":"m"#) {
                said.append(String(frame.text[range.upperBound...].prefix { $0 != "\"" }))
            }
        }
        #expect(said == (0..<40).map { "\($0)" })
        #expect(closeCode == 1001)
        #expect(try nextClose(alice) == 1001)
        #expect(systemd.receive(timeoutSeconds: 10) == "STOPPING=1")
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "exit status; log:\n\(logText())")
        #expect(logText().contains("every client drained"))
        try? FileManager.default.removeItem(at: log)
    }
}

// MARK: Helpers

/// `.build/<triple>/debug/ringgate`, beside the test bundle (`swift test` builds every product).
func ringgateBinary() throws -> URL {
    let directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    let binary = directory.appendingPathComponent("ringgate")
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no ringgate binary at \(binary.path)")
    return binary
}

/// How many metric families the official Prometheus Python client's parser reads from `page` (it
/// throws on malformed input); nil where python3 or prometheus_client is missing (CI installs it).
func prometheusParserFamilyCount(_ page: String) throws -> Int? {
    let path = "/tmp/ringgate-metrics-\(getpid()).txt"
    try page.write(toFile: path, atomically: true, encoding: .utf8)
    defer { unlink(path) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
        "python3", "-c",
        "import sys\ntry:\n from prometheus_client.parser import text_string_to_metric_families as parse\n"
            + "except ImportError:\n sys.exit(3)\nprint(len(list(parse(open(sys.argv[1]).read()))))",
        path,
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    guard (try? process.run()) != nil else { return nil }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus == 3 { return nil }
    #expect(process.terminationStatus == 0, "prometheus_client could not parse /metrics")
    return Int(String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
}

func runRingGate(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = try ringgateBinary()
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: output, as: UTF8.self)
}

func freePorts(count: Int) throws -> [UInt16] {
    let sockets = try (0..<count).map { _ in
        try ListeningSocket(binding: SocketAddress("127.0.0.1:0")!, backlog: 1, reusePort: false)
    }
    return sockets.map(\.address.port)
}

func freeConsecutivePorts(count: Int) throws -> UInt16 {
    for _ in 0..<200 {
        let base = UInt16.random(in: 20_000...40_000)
        let held = (0..<count).compactMap { offset in
            try? ListeningSocket(
                binding: SocketAddress("127.0.0.1:\(base + UInt16(offset))")!, backlog: 1, reusePort: false)
        }
        if held.count == count { return base }
    }
    throw PortsUnavailable()
}

struct PortsUnavailable: Error {}

func poll(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicSeconds() + seconds
    while monotonicSeconds() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

func nextText(_ client: WebSocketTestClient, containing needle: String) throws -> String {
    for _ in 0..<500 {
        let frame = try client.receiveFrame()
        if frame.opcode == 1 && frame.text.contains(needle) { return frame.text }
        if frame.opcode == 8 { break }
    }
    throw NotReceived(needle: needle)
}

func nextClose(_ client: WebSocketTestClient) throws -> UInt16? {
    for _ in 0..<500 {
        let frame = try client.receiveFrame()
        if frame.opcode == 8 { return frame.closeCode }
    }
    return nil
}

struct NotReceived: Error {
    var needle: String
}

func httpGet(_ path: String, from address: SocketAddress) throws -> (status: Int, body: String) {
    let connection = try TestClient(port: address.port)
    try connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    let text = String(decoding: try connection.receiveUntilClosed(), as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ")[1]) else {
        throw NotReceived(needle: "an HTTP response")
    }
    return (status, String(text[split.upperBound...]))
}

func status(_ admin: SocketAddress) throws -> [String: Any] {
    let (code, body) = try httpGet("/status", from: admin)
    guard code == 200, let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
        throw NotReceived(needle: "/status JSON")
    }
    return object
}
