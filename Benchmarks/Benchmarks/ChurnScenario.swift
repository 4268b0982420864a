import BenchmarkReport
import Foundation
import LoadGenerator

/// `churn`: connections opened, handshaked and closed (RST) as fast as the generators go for a while,
/// then the gateway's memory compared with its idle level before the churn (a leak shows as growth).
struct ChurnScenario {
    var seconds: Double = 10
    var concurrency = 1_000

    func run(settings: RunSettings) throws {
        let server = try ServerUnderTest.ringgateEcho(settings: settings, shards: settings.gatewayCPUs.count)
        defer { server.stop() }
        try measure(server: server, settings: settings)
        if let nio = try ServerUnderTest.nio(settings: settings, framing: .websocket) {
            defer { nio.stop() }
            try measure(server: nio, settings: settings)
        }
    }

    private func measure(server: ServerUnderTest, settings: RunSettings) throws {
        var result = ChurnResult()
        result.server = server.name
        result.concurrency = concurrency
        usleep(300_000)
        result.memoryBefore = server.memory ?? ProcessMemory()
        let fleet = try GeneratorFleet(
            target: .init(host: server.host, port: server.ports[.websocket]!, framing: .websocket),
            connections: concurrency, settings: settings, verifyOnEstablish: false, progress: settings.progress)
        defer { fleet.stop() }
        let cpuStart = server.cpuSeconds
        let start = Date()
        for (process, share) in zip(fleet.processes, fleet.counts) {
            process.send("churn \(share) \(Int(seconds * 1000))")
        }
        settings.progress.update("churn \(server.name): \(Int(seconds)) s")
        let replies = try fleet.awaitReplies("churned", timeout: seconds + 60)
        result.seconds = Date().timeIntervalSince(start)
        result.gatewayCPUSeconds = server.cpuSeconds - cpuStart
        result.completed = replies.map { $0["completed"] }.reduce(0, +)
        result.failed = replies.map { $0["failed"] }.reduce(0, +)
        usleep(1_000_000)
        result.memoryAfter = server.memory ?? ProcessMemory()
        settings.progress.clear()
        settings.results.churn.append(result)
        settings.progress.note(
            String(
                format: "churn %@: %.0f connections opened+handshaked+closed per second (%d done, %d failed), "
                    + "RssAnon %d → %d kB after the churn",
                server.name, result.perSecond, result.completed, result.failed, result.memoryBefore.rssAnonKB,
                result.memoryAfter.rssAnonKB))
    }
}
