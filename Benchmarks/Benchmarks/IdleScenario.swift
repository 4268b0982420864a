import BenchmarkReport
import Foundation
import LoadGenerator

/// `idle`: N WebSocket connections to one gateway process, each handshaked, checked by one echo once all are
/// established (or, with `verifyWhileConnecting`, as soon as it is) and again at the end of the hold; memory
/// before and after.
struct IdleScenario {
    var connections: Int
    var holdSeconds: Double
    /// nil: as many as the connections need (`ServerUnderTest.shards(for:gatewayCPUs:)`).
    var shards: Int? = nil
    /// Send each connection's first echo check inside the connect phase rather than in a pass after it.
    var verifyWhileConnecting = false

    func run(settings: RunSettings) throws {
        let shards = shards ?? ServerUnderTest.shards(for: connections, gatewayCPUs: settings.gatewayCPUs.count)
        settings.progress.note("idle: \(connections) WebSocket connections, ringgate echo with \(shards) shards")
        let server = try ServerUnderTest.ringgateEcho(settings: settings, shards: shards)
        defer { server.stop() }
        let result = try measure(server: server, framing: .websocket, settings: settings)
        settings.results.idle.append(result)
        settings.progress.note(Self.summary(result))
        if let external = try ServerUnderTest.external(settings: settings) {
            let result = try measure(server: external, framing: .websocket, settings: settings)
            settings.results.idle.append(result)
            settings.progress.note(Self.summary(result))
        }
        if let php = try ServerUnderTest.php(settings: settings) {
            defer { php.stop() }
            var capped = self
            capped.connections = min(connections, php.connectionLimit ?? connections)
            let result = try capped.measure(server: php, framing: .websocket, settings: settings)
            settings.results.idle.append(result)
            settings.progress.note(Self.summary(result))
        }
    }

    /// One echo on every open connection, counted per generator; it may take connections/10 ms, at least 30 s
    /// (1M answered in 18–20 s on a quiet machine).
    private func checkByEcho(_ fleet: GeneratorFleet) throws -> [ReportLine] {
        let milliseconds = max(30_000, connections / 10)
        return try fleet.ask("verify \(milliseconds)", expecting: "verified", timeout: Double(milliseconds) / 1000 + 30)
    }

    func measure(server: ServerUnderTest, framing: StreamFraming, settings: RunSettings) throws -> IdleResult {
        var result = IdleResult()
        result.server = server.name
        result.requested = connections
        usleep(500_000)
        result.memoryBefore = server.memory ?? ProcessMemory()
        result.kernelBefore = Self.settledKernelMemory(settings: settings)
        let fleet = try GeneratorFleet(
            target: .init(host: server.host, port: server.ports[framing]!, framing: framing), connections: connections,
            settings: settings, verifyOnEstablish: verifyWhileConnecting, progress: settings.progress)
        defer { fleet.stop() }
        let start = Date()
        let gatewayCPUBefore = server.cpuSeconds
        let generatorCPUBefore = ProcessCPU.seconds(pids: fleet.pids)
        // The gateway, not the generators, sets the pace: allow 4,000 connections a second, at least 120 s.
        let connectSeconds = max(120, connections / 4_000)
        fleet.broadcast("connect \(connectSeconds)")
        let connected = try fleet.awaitReplies("connected", timeout: Double(connectSeconds) + 60) { latest in
            let established = latest.compactMap { $0?["established"] }.reduce(0, +)
            let failed = latest.compactMap { $0?["failed"] }.reduce(0, +)
            let seconds = Date().timeIntervalSince(start)
            settings.progress.update(
                String(
                    format: "idle: %d of %d established (%.0f/s), %d failed", established, connections,
                    Double(established) / max(seconds, 0.001), failed))
        }
        settings.progress.clear()
        result.connectGatewayCPUSeconds = server.cpuSeconds - gatewayCPUBefore
        result.connectGeneratorCPUSeconds = ProcessCPU.seconds(pids: fleet.pids) - generatorCPUBefore
        result.established = connected.map { $0["established"] }.reduce(0, +)
        result.connectFailures = connected.map { $0["connect_failures"] }.reduce(0, +)
        result.handshakeFailures = connected.map { $0["handshake_failures"] }.reduce(0, +)
        result.timedOut = connected.map { $0["timed_out"] }.reduce(0, +)
        result.establishSeconds = Double(connected.map { $0["elapsed_ns"] }.max() ?? 0) / 1e9
        if verifyWhileConnecting {
            result.verifiedAtEstablish = connected.map { $0["verified"] }.reduce(0, +)
        } else {
            settings.progress.update("idle: checking \(result.established) connections by echo")
            let checkStart = Date()
            let checked = try checkByEcho(fleet)
            result.startCheckSeconds = Date().timeIntervalSince(checkStart)
            result.verifiedAtEstablish = checked.map { $0["ok"] }.reduce(0, +)
            settings.progress.clear()
        }
        if let errno = connected.map({ $0["errno"] }).first(where: { $0 != 0 }) {
            settings.results.notes.append(
                "idle: first connect error: \(String(cString: strerror(Int32(errno)))) (errno \(errno))")
        }
        let holdStart = Date()
        while Date().timeIntervalSince(holdStart) < holdSeconds {
            settings.progress.update(
                String(
                    format: "idle: holding %d connections, %.0f s left", result.established,
                    holdSeconds - Date().timeIntervalSince(holdStart)))
            usleep(250_000)
        }
        settings.progress.clear()
        result.holdSeconds = Date().timeIntervalSince(holdStart)
        result.memoryAfter = server.memory ?? ProcessMemory()
        result.kernelAfter = KernelMemory.read()
        let verified = try checkByEcho(fleet)
        result.verifiedAtEnd = verified.map { $0["ok"] }.reduce(0, +)
        result.openAtEnd = verified.map { $0["open"] }.reduce(0, +)
        if let timedOut = result.timedOut, timedOut > 0 {
            settings.results.notes.append(
                "idle: \(timedOut) connections were still connecting or handshaking when the connect phase "
                    + "ended; they were closed and are not counted as established")
        }
        if result.handshakeFailures > 0 {
            settings.results.notes.append(
                "idle: \(result.handshakeFailures) handshakes failed: the server closed the connection or answered "
                    + "with something other than 101 (see the gateway's log in \(settings.resultsFolder.path))")
        }
        return result
    }

    /// Kernel memory from a quiet baseline. A million connections push the kernel to reclaim cached dentries and
    /// inodes (builds leave hundreds of MB of them), which hid socket memory in the Slab growth: a back-to-back
    /// run reported 2.6 kB per connection instead of 9.7. So reclaimable slab caches are dropped first
    /// (`vm.drop_caches = 2`, where writable: root), then this waits until Slab moves less than 2 MB in a second,
    /// as an earlier run's sockets leave over RCU grace periods (60 s at most).
    static func settledKernelMemory(settings: RunSettings) -> KernelMemory {
        do {
            try "2\n".write(toFile: "/proc/sys/vm/drop_caches", atomically: false, encoding: .utf8)
        } catch {
            settings.results.notes.append(
                "idle: could not drop the kernel's reclaimable caches (vm.drop_caches needs root); their reclaim "
                    + "under load can make kernel B/conn read low")
        }
        var previous = KernelMemory.read()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            usleep(1_000_000)
            let current = KernelMemory.read()
            if abs(current.slabKB - previous.slabKB) < 2_048 && current.tcpAllocated <= previous.tcpAllocated + 64 {
                settings.progress.clear()
                return current
            }
            settings.progress.update(
                "idle: waiting for the kernel to free an earlier run's sockets (Slab \(current.slabKB / 1024) MB)")
            previous = current
        }
        settings.progress.clear()
        settings.results.notes.append("idle: the kernel's Slab was still moving after 60 s; kernel B/conn may be off")
        return previous
    }

    static func summary(_ result: IdleResult) -> String {
        String(
            format:
                "idle %@: %d/%d established in %.1f s (%.0f/s), %d connect + %d handshake failures, %d timed out, "
                + "verified %d%@ then %d of %d open; CPU per connection: gateway %.1f µs, generators %.1f µs; "
                + "RssAnon %d → %d kB = %.0f B/conn, HugetlbPages %d kB, all-in %.0f B/conn, kernel %.0f B/conn",
            result.server, result.established, result.requested, result.establishSeconds, result.connectsPerSecond,
            result.connectFailures, result.handshakeFailures, result.timedOut ?? 0, result.verifiedAtEstablish,
            result.startCheckSeconds.map { String(format: " (in a %.1f s pass)", $0) } ?? " (while connecting)",
            result.verifiedAtEnd, result.openAtEnd ?? 0, result.gatewayMicrosecondsPerConnection ?? 0,
            result.generatorMicrosecondsPerConnection ?? 0, result.memoryBefore.rssAnonKB,
            result.memoryAfter.rssAnonKB, result.bytesPerConnection, result.memoryAfter.hugetlbKB,
            result.allInBytesPerConnection, result.kernelBytesPerConnection)
    }
}
