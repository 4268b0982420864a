import BenchmarkReport
import Foundation
import Glibc
import LoadGenerator
import RingGateWorkerKit

/// `takeover`: `ringgate start` (its Register, a gateway with enough shards, an admin port) and the Swift
/// `takeover-worker` as processes; N WebSocket clients, most idle in the io_uring generators, a share
/// chatting every ~50 ms through the worker and checking each echo; then `ringgate upgrade` while they
/// chat. Counts clients dropped, messages lost, the longest send → echo, the upgrade's own figures, the
/// gateway's memory before (old process) and after (new process), and the cluster's uids and groups.
struct TakeoverScenario {
    var clients = 100_000
    var chatters = 1_000
    var chatInterval = 0.05
    var warmupSeconds = 10.0
    var afterSeconds = 10.0
    var stateEvery = 10
    var groups = 100
    var workerReconnectMilliseconds = 1_000
    /// An echo not back after this long counts as lost.
    var echoTimeout = 15.0
    var secretKey = "takeover-secret"

    var idleClients: Int { clients - chatters }

    func run(settings: RunSettings) throws {
        var result = TakeoverResult()
        result.clients = clients
        result.chatters = chatters
        result.chatIntervalMilliseconds = chatInterval * 1000
        result.workerReconnectMilliseconds = workerReconnectMilliseconds
        result.warmupSeconds = warmupSeconds
        result.afterSeconds = afterSeconds
        defer { settings.results.takeover = result }
        let progress = settings.progress
        // A shard's direct-descriptor table holds ~19k under RLIMIT_NOFILE 20,000.
        let shards = ServerUnderTest.shards(for: clients, gatewayCPUs: max(2, settings.gatewayCPUs.count))
        result.shards = shards
        let gateway = try TakeoverGateway(settings: settings, shards: shards, secretKey: secretKey)
        defer { gateway.stop() }
        result.oldPID = gateway.process.pid
        let worker = try ChildProcess(
            name: "takeover-worker",
            arguments: [
                settings.selfPath, "takeover-worker", "--register-address", "127.0.0.1:\(gateway.registerPort)",
                "--secret-key", secretKey, "--state-every", "\(stateEvery)", "--groups", "\(groups)",
                "--reconnect-milliseconds", "\(workerReconnectMilliseconds)",
            ], logPath: settings.logPath("takeover-worker"), cpus: settings.generatorCPUs)
        defer { worker.stop() }
        try gateway.waitForWorkers(shards: shards)
        progress.note(
            "takeover: ringgate start (pid \(gateway.process.pid)) with \(shards) shards, the worker linked to each")

        let fleet = try connectIdle(port: gateway.clientPort, settings: settings, result: &result)
        defer { fleet.stop() }
        let start = monotonicNanoseconds()
        let seconds = { Double(monotonicNanoseconds() - start) / 1e9 }
        let chat = SoakChatters(
            settings: .init(
                port: gateway.clientPort, chatters: chatters, chatInterval: chatInterval, nonReaders: 0,
                nonReaderMessageSize: 0, nonReaderInterval: 1, echoTimeout: echoTimeout, start: start))
        try chat.start()
        var chatting = true
        defer { if chatting { _ = chat.finish(drainSeconds: 0) } }
        wait(until: warmupSeconds, seconds: seconds, chat: chat, progress: progress)

        result.memoryBefore = ProcessMemory.read(pid: gateway.process.pid) ?? ProcessMemory()
        result.stateBefore = clusterState(registerPort: gateway.registerPort)
        result.clientsWithState = result.stateBefore.uids
        result.longestEchoBeforeUpgradeMilliseconds = Double(chat.snapshot().longestEchoNanoseconds) / 1e6

        progress.note("takeover: ringgate upgrade with \(clients) clients, \(chatters) chatting")
        result.upgradeStartedAt = seconds()
        let (status, output) = gateway.upgrade()
        result.upgradeEndedAt = seconds()
        result.upgradeCommandSeconds = result.upgradeEndedAt - result.upgradeStartedAt
        result.upgradeExitStatus = status
        result.upgradeOutput = output
        result.upgrade = UpgradeReport(parsing: output)
        progress.note("takeover: " + (output.split(separator: "\n").last.map(String.init) ?? "no output"))
        if let newPID = result.upgrade?.newPID, newPID > 0 {
            result.newPID = newPID
            ChildProcess.track(newPID, name: "ringgate start (successor)")
            gateway.successor = newPID
        }
        let exitDeadline = Date().addingTimeInterval(30)
        while gateway.process.isRunning, Date() < exitDeadline { usleep(20_000) }
        if !gateway.process.isRunning {
            result.oldExitSeconds = seconds() - result.upgradeStartedAt
            result.oldExitStatus = gateway.process.waitStatus.map { $0 >> 8 & 0xFF }
        } else {
            settings.results.notes.append("takeover: the old process had not exited 30 s after the upgrade")
        }
        wait(until: result.upgradeEndedAt + afterSeconds, seconds: seconds, chat: chat, progress: progress)

        if let now = gateway.admin.shards() {
            result.connectionsPerShardAfter = now.connections
            if result.newPID == 0 { result.newPID = now.pid }
        }
        result.memoryAfter = ProcessMemory.read(pid: result.newPID) ?? ProcessMemory()
        // The new process's own takeover figures, when it exports any.
        result.takeoverMetricsAfter =
            gateway.admin.get("/metrics").map { body in
                String(decoding: body, as: UTF8.self).split(separator: "\n")
                    .filter { $0.hasPrefix("ringgate_takeover") }.map(String.init)
            } ?? []
        result.stateAfter = clusterState(registerPort: gateway.registerPort)  // the chatters still connected
        // The chat ends (its last echoes drained) before the idle clients' final echo, which sends 99k
        // messages through the worker at once and would otherwise count as a pause.
        result.chatSeconds = seconds()
        _ = chat.finish(drainSeconds: echoTimeout)
        chatting = false
        let figures = chat.snapshot()
        result.chatSent = figures.sent
        result.chatEchoed = figures.echoed
        result.chatLost = figures.lostSendTimes.count
        result.firstLostSendTimes = Array(figures.lostSendTimes.sorted().prefix(100))
        result.chatDuplicated = figures.duplicated
        result.chatOutOfOrder = figures.outOfOrder
        result.chatterDrops = figures.chatterDrops
        result.chatDropReasons = figures.dropReasons
        result.longestEchoMilliseconds = Double(figures.longestEchoNanoseconds) / 1e6
        result.longestEchoSentAt = figures.longestEchoSentAt

        let stats = try fleet.ask("stats", expecting: "stats", timeout: 10)
        result.idleClosed = stats.map { $0["closed"] }.reduce(0, +)
        let verified = try fleet.ask("verify 30000", expecting: "verified", timeout: 60)
        result.idleVerifiedAtEnd = verified.map { $0["ok"] }.reduce(0, +)
        result.idleOpenAtEnd = verified.map { $0["open"] }.reduce(0, +)
        if status != 0 || result.upgrade == nil {
            settings.results.notes.append("takeover: ringgate upgrade failed (status \(status)):\n\(output)")
        }
        progress.note(
            String(
                format: "takeover: %d dropped, %d of %d chat messages lost, longest echo %.0f ms, upgrade %@",
                result.clientsDropped, result.chatLost, result.chatSent, result.longestEchoMilliseconds,
                result.upgrade.map {
                    String(format: "%.2f s, longest shard pause %d ms", $0.seconds, $0.longestPauseMilliseconds)
                }
                    ?? "failed"))
    }

    /// Connects the idle clients; a few failed connects (a loaded machine) are noted and the run goes on
    /// with the rest, which are then the clients that must survive the upgrade.
    private func connectIdle(port: UInt16, settings: RunSettings, result: inout TakeoverResult) throws
        -> GeneratorFleet
    {
        let fleet = try GeneratorFleet(
            target: .init(host: "127.0.0.1", port: port, framing: .websocket), connections: idleClients,
            settings: settings, progress: settings.progress)
        let connectSeconds = max(120, idleClients / 4_000)
        fleet.broadcast("connect \(connectSeconds)")
        let replies = try fleet.awaitReplies("connected", timeout: Double(connectSeconds) + 60) { latest in
            let established = latest.compactMap { $0?["established"] }.reduce(0, +)
            settings.progress.update("takeover: \(established) of \(idleClients) idle clients connected")
        }
        settings.progress.clear()
        let sum = { (key: String) in replies.map { $0[key] }.reduce(0, +) }
        result.idleConnected = sum("established")
        let verified = sum("verified")
        if result.idleConnected < idleClients || verified < result.idleConnected {
            let errno = replies.map { $0["errno"] }.first { $0 != 0 } ?? 0
            settings.results.notes.append(
                "takeover: \(result.idleConnected) of \(idleClients) idle clients connected (\(sum("connect_failures")) "
                    + "connect and \(sum("handshake_failures")) handshake failures, \(sum("timed_out")) timed out, "
                    + "first errno \(errno)), \(verified) answered their first echo; the run goes on with them")
        }
        guard result.idleConnected > 0 else {
            fleet.stop()
            throw BenchmarkFailure("takeover: no idle client connected")
        }
        return fleet
    }

    /// Waits until `end` (seconds from the start of chatting), showing the chat's figures.
    private func wait(until end: Double, seconds: () -> Double, chat: SoakChatters, progress: ProgressLine) {
        while seconds() < end {
            let figures = chat.snapshot()
            progress.update(
                String(
                    format: "takeover %.0f s: chat %d sent, %d echoed, %d outstanding, longest echo %.0f ms",
                    seconds(), figures.sent, figures.echoed, figures.outstanding,
                    Double(figures.longestEchoNanoseconds) / 1e6))
            usleep(200_000)
        }
        progress.clear()
    }

    /// client_ids, uids, groups and group members over every shard, through a GatewayClient found by the
    /// Register (-1 where a query failed).
    private func clusterState(registerPort: UInt16) -> TakeoverClusterState {
        var state = TakeoverClusterState()
        guard
            let client = try? GatewayClient(
                configuration: .init(registerAddresses: ["127.0.0.1:\(registerPort)"], secretKey: secretKey))
        else { return state }
        defer { _ = waitFor(seconds: 10) { await client.shutdown() } }
        let gateway = client.gateway
        state.clientIDs = waitFor(seconds: 15) { try await gateway.getAllClientIdCount() } ?? -1
        state.uids = waitFor(seconds: 15) { try await gateway.getAllUidCount() } ?? -1
        // (not getAllGroupClientIdCount: like PHP's, each gateway's scan stops at its first client without groups)
        if let groups = waitFor(seconds: 15, { try await gateway.getAllGroupIdList() }) {
            state.groups = groups.count
            let ids = groups.map { GatewayID($0) }
            state.groupMembers =
                waitFor(seconds: 15) { try await gateway.batchGetClientIdCountByGroup(ids).values.reduce(0, +) } ?? -1
        }
        return state
    }
}
