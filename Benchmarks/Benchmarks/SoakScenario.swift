import BenchmarkReport
import Foundation
import Glibc
import LoadGenerator
import RingGateWorkerKit

/// `soak`: the real Register, gateway and Swift echo workers as processes; N clients (idle in the
/// io_uring generators, a churn share closed and reopened every interval, chatters that count every
/// echo, non-readers); faults on a schedule (a worker SIGKILLed and restarted, a worker stopped for a
/// while, the Register restarted) and a GatewayClient broadcasting and querying. Bounded in time; the
/// gateway is never restarted — if it exits, that is counted and the run ends.
struct SoakScenario {
    var minutes = 30.0
    var clients = 100_000
    var chatters = 200
    var chatInterval = 3.0
    var nonReaders = 5
    var nonReaderMessageSize = 256 * 1024
    var churnShare = 0.01
    var churnInterval = 10.0
    var workers = 2
    var killEvery = 60.0
    var registerEvery = 180.0
    var stallSeconds = 30.0
    var stallEvery = 600.0
    var queryEvery = 5.0
    var sampleEvery = 5.0
    var echoTimeout = 45.0
    /// How long before a SIGKILL a lost message counts as "may have been in the killed worker".
    var killLead = 2.0
    var secretKey = "soak-secret"

    var runSeconds: Double { minutes * 60 }
    var churnClients: Int { Int(Double(clients) * churnShare) }
    var idleClients: Int { max(0, clients - churnClients - chatters - nonReaders) }

    func run(settings: RunSettings) throws {
        var result = SoakResult()
        result.minutes = minutes
        result.clients = clients
        result.chatters = chatters
        result.nonReaders = nonReaders
        result.churnPerInterval = churnClients
        result.warmupSeconds = SoakFigures.warmupEnd(runSeconds: runSeconds)
        defer { settings.results.soak = result }
        let progress = settings.progress
        // A shard's direct-descriptor table holds ~19k: 2 shards, more when the clients need them.
        let shards = ServerUnderTest.shards(for: clients, gatewayCPUs: max(2, settings.gatewayCPUs.count))
        let cluster = try SoakCluster(settings: settings, shards: shards, workers: workers, secretKey: secretKey)
        defer { cluster.stop() }
        progress.note(
            "soak: gateway with \(shards) shards, \(workers) echo workers, Register on \(cluster.registerPort)")
        // The workers find the gateway through the Register: wait (10 s at most) until every shard has a
        // link from every worker (nothing else is connected to the inner ports yet), and say so if not.
        let linkDeadline = Date().addingTimeInterval(10)
        var links = cluster.innerLinksPerShard()
        while links.contains(where: { $0 < workers }), Date() < linkDeadline {
            usleep(200_000)
            links = cluster.innerLinksPerShard()
        }
        result.innerLinksAtStart = links
        if links.contains(where: { $0 < workers }) {
            settings.results.notes.append(
                "soak: after 10 s not every worker was linked to every shard (links per shard: \(links))")
        }

        let idle = try connect(count: idleClients, name: "idle", cluster: cluster, settings: settings)
        defer { idle?.stop() }
        let churn = try connect(count: churnClients, name: "churn", cluster: cluster, settings: settings)
        defer { churn?.stop() }
        result.harnessDescriptorsStart = Self.openDescriptors()
        let start = monotonicNanoseconds()
        let chat = SoakChatters(
            settings: .init(
                port: cluster.clientPort, chatters: chatters, chatInterval: chatInterval, nonReaders: nonReaders,
                nonReaderMessageSize: nonReaderMessageSize, nonReaderInterval: 1, echoTimeout: echoTimeout,
                start: start))
        try chat.start()
        let client = try GatewayClient(
            configuration: .init(registerAddresses: ["127.0.0.1:\(cluster.registerPort)"], secretKey: secretKey))
        var clientRunning = true
        defer { if clientRunning { _ = waitFor(seconds: 10) { await client.shutdown() } } }
        let gateway = client.gateway

        let seconds = { Double(monotonicNanoseconds() - start) / 1e9 }
        var nextKill = min(killEvery, runSeconds / 4)
        var killIndex = 0
        var restartAt: (index: Int, at: Double)?
        var nextRegister = min(registerEvery, runSeconds / 2)
        var nextStall = min(stallEvery, runSeconds * 0.4)
        var stalled: (index: Int, until: Double)?
        var nextChurn = churnInterval
        var nextQuery = 0.0
        var nextSample = 0.0
        var queryCount = 0
        var churnClosed = 0

        while seconds() < runSeconds {
            let now = seconds()
            guard cluster.gateway.isRunning else {
                result.gatewayCrashes += 1
                result.events.append(.init(seconds: now, kind: .gatewayExited))
                settings.results.notes.append(
                    String(format: "soak: the gateway exited at %.0f s (see ringgate-gateway.log); run ended", now))
                break
            }
            if let pending = restartAt, now >= pending.at {
                try cluster.startWorker(pending.index)
                result.events.append(.init(seconds: seconds(), kind: .workerRestarted, detail: "\(pending.index)"))
                restartAt = nil
            }
            if now >= nextKill, restartAt == nil, stalled == nil {
                let index = killIndex % workers
                killIndex += 1
                let links = cluster.innerLinksPerShard()
                cluster.killWorker(index)
                result.events.append(.init(seconds: now, kind: .workerKilled, detail: "\(index)"))
                result.innerLinksBeforeKills.append(links)
                restartAt = (index, now + 1)
                nextKill += killEvery
            }
            if now >= nextStall, stalled == nil, restartAt == nil {
                let index = killIndex % workers
                cluster.signalWorker(index, SIGSTOP)
                result.events.append(.init(seconds: now, kind: .workerStalled, detail: "\(index)"))
                stalled = (index, now + stallSeconds)
                nextStall += stallEvery
            }
            if let stall = stalled, now >= stall.until {
                cluster.signalWorker(stall.index, SIGCONT)
                result.events.append(.init(seconds: now, kind: .workerResumed, detail: "\(stall.index)"))
                stalled = nil
            }
            if now >= nextRegister {
                try cluster.restartRegister()
                result.events.append(.init(seconds: now, kind: .registerRestarted))
                nextRegister += registerEvery
            }
            if now >= nextChurn, let churn {
                nextChurn += churnInterval
                churnClosed += try cycle(churn: churn, result: &result)
            }
            if now >= nextQuery {
                nextQuery += queryEvery
                queryCount += 1
                gateway.sendToAll("B\(queryCount) broadcast from the soak's GatewayClient")
                result.broadcasts += 1
                if queryCount % 6 == 0 {
                    result.queries += 1
                    if waitFor(seconds: 10, { try await gateway.getAllClientSessions().count }) == nil {
                        result.queryFailures += 1
                    }
                }
            }
            if now >= nextSample {
                nextSample += sampleEvery
                var sample = SoakSample()
                sample.seconds = now
                sample.gatewayRSSKB = ProcessMemory.read(pid: cluster.gateway.pid)?.rssKB ?? 0
                result.queries += 1
                let count = waitFor(seconds: 10) { try await gateway.getAllClientIdCount() }
                if count == nil { result.queryFailures += 1 }
                sample.connections = count ?? -1
                let figures = chat.snapshot()
                sample.chatSent = figures.sent
                sample.chatEchoed = figures.echoed
                sample.workersAlive = cluster.workersAlive
                result.samples.append(sample)
                let dropped = try closedByGateway(idle)
                progress.update(
                    String(
                        format: "soak %.0f/%.0f s: RSS %d MB, %d clients, chat %d sent %d echoed %d outstanding, "
                            + "%d lost, %d dropped", now, runSeconds, sample.gatewayRSSKB / 1024, sample.connections,
                        figures.sent, figures.echoed, figures.outstanding, figures.lostSendTimes.count,
                        dropped + figures.chatterDrops))
            }
            usleep(100_000)
        }
        if let stall = stalled {
            cluster.signalWorker(stall.index, SIGCONT)
            result.events.append(.init(seconds: seconds(), kind: .workerResumed, detail: "\(stall.index)"))
        }
        if let pending = restartAt, cluster.gateway.isRunning {
            try cluster.startWorker(pending.index)
            result.events.append(.init(seconds: seconds(), kind: .workerRestarted, detail: "\(pending.index)"))
        }
        progress.clear()
        result.nonReaderEchoesReceived = chat.finish(drainSeconds: echoTimeout)
        let figures = chat.snapshot()
        let end = seconds()
        result.minuteFigures = figures.minutes
        result.loss = Self.classify(figures: figures, events: result.events, killLead: killLead, end: end)
        result.nonReaderMessagesSent = figures.nonReaderSent
        result.nonReadersClosedByGateway = figures.nonReadersClosed
        result.intendedCloses = churnClosed
        result.dropsByKind = [
            "idle": try closedByGateway(idle), "churn": try closedByGateway(churn), "chat": figures.chatterDrops,
        ]
        result.chatDropReasons = figures.dropReasons
        result.unintendedDrops = result.dropsByKind.values.reduce(0, +)
        result.firstLostSendTimes = Array(figures.lostSendTimes.sorted().prefix(200))
        _ = waitFor(seconds: 10) { await client.shutdown() }
        clientRunning = false
        result.harnessDescriptorsEnd = Self.openDescriptors()
        if figures.lostSendTimes.count >= 1_000_000 {
            settings.results.notes.append("soak: more than 1,000,000 lost messages; only the first were classified")
        }
        progress.note(
            String(
                format:
                    "soak: RSS growth %@, clients growth %@, lost %d while workers alive (%d kill window, %d stall), "
                    + "%d unintended drops, %d gateway crashes",
                result.rssGrowthPercent.map { String(format: "%+.1f%%", $0) } ?? "n/a",
                result.connectionGrowthPercent.map { String(format: "%+.1f%%", $0) } ?? "n/a",
                result.loss.whileWorkersAlive, result.loss.inKillWindow, result.loss.inStallWindow,
                result.unintendedDrops, result.gatewayCrashes))
    }

    static func classify(figures: SoakChatters.Figures, events: [SoakEvent], killLead: Double, end: Double) -> SoakLoss
    {
        var loss = SoakLoss()
        loss.duplicated = figures.duplicated
        loss.outOfOrder = figures.outOfOrder
        let kills = SoakFigures.killWindows(events, lead: killLead, end: end)
        let stalls = SoakFigures.stallWindows(events, end: end)
        for sent in figures.lostSendTimes {
            switch SoakFigures.classify(sent: sent, killWindows: kills, stallWindows: stalls) {
            case .killWindow: loss.inKillWindow += 1
            case .stallWindow: loss.inStallWindow += 1
            case .workersAlive: loss.whileWorkersAlive += 1
            }
        }
        return loss
    }

    private func connect(count: Int, name: String, cluster: SoakCluster, settings: RunSettings) throws
        -> GeneratorFleet?
    {
        guard count > 0 else { return nil }
        let fleet = try GeneratorFleet(
            target: .init(host: "127.0.0.1", port: cluster.clientPort, framing: .websocket), connections: count,
            settings: settings, verifyOnEstablish: false, progress: settings.progress)
        fleet.broadcast("connect")
        let replies = try fleet.awaitReplies("connected", timeout: 600) { latest in
            let established = latest.compactMap { $0?["established"] }.reduce(0, +)
            settings.progress.update("soak: \(established) of \(count) \(name) clients connected")
        }
        settings.progress.clear()
        let established = replies.map { $0["established"] }.reduce(0, +)
        guard established == count else {
            fleet.stop()
            throw BenchmarkFailure("soak: \(established) of \(count) \(name) clients connected")
        }
        return fleet
    }

    /// Closes the churn share and opens it again; returns the closes (on purpose).
    private func cycle(churn: GeneratorFleet, result: inout SoakResult) throws -> Int {
        let closed = try churn.ask("stats", expecting: "stats", timeout: 10).map { $0["open"] }.reduce(0, +)
        _ = try churn.ask("close", expecting: "closed", timeout: 30)
        let replies = try churn.ask("connect", expecting: "connected", timeout: 120)
        let established = replies.map { $0["established"] }.reduce(0, +)
        let expected = churn.counts.reduce(0, +)
        if established < expected { result.churnReconnectFailures += expected - established }
        return closed
    }

    /// Clients of `fleet` the gateway closed so far (the generators count them; our own closes are not).
    private func closedByGateway(_ fleet: GeneratorFleet?) throws -> Int {
        guard let fleet else { return 0 }
        return try fleet.ask("stats", expecting: "stats", timeout: 10).map { $0["closed"] }.reduce(0, +)
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }
}
