import Foundation
import RingGate
import RingGateRuntime
import RingGateTLS
import Synchronization

/// Gathers the figures `/status` and `/metrics` show: the shards' reports (taken on their threads
/// through their mailboxes), the built-in Register's snapshot and /proc.
public final class ServiceFigures: Sendable {
    public let register: RegisterServer?
    public let gateway: GatewayServer?
    /// The admin endpoint's bad-request counters (the endpoint itself is started after the figures).
    public let adminCounters = AdminServer.Counters()
    private let startedAt = ContinuousClock.now
    private let shuttingDown = Atomic<Bool>(false)
    /// What `/reload` (and SIGHUP) runs: set by `ringgate start`.
    public let reloadHandler = Mutex<(@Sendable () -> ReloadOutcome)?>(nil)

    init(register: RegisterServer?, gateway: GatewayServer?) {
        self.register = register
        self.gateway = gateway
    }

    /// What `/upgrade` (and SIGUSR2) runs: set by `ringgate start`.
    public let upgradeHandler = Mutex<(@Sendable () -> UpgradeReport)?>(nil)

    func markShuttingDown() { shuttingDown.store(true, ordering: .relaxed) }
    var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }

    var uptimeSeconds: Double { (ContinuousClock.now - startedAt).seconds }

    func respond(to request: AdminServer.Request) -> AdminServer.Response {
        switch request.path {
        case "/status":
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let body = (try? encoder.encode(status())).map { Array($0) + [10] } ?? Array("{}\n".utf8)
            return AdminServer.Response(status: 200, contentType: "application/json", body: body)
        case "/metrics":
            return AdminServer.Response(
                status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: Array(metrics().utf8))
        case "/reload":
            guard let reload = reloadHandler.withLock({ $0 }) else {
                return AdminServer.Response(status: 404, text: "this process cannot reload\n")
            }
            let outcome = reload()
            return AdminServer.Response(status: outcome.succeeded ? 200 : 409, text: outcome.report)
        case "/upgrade":
            guard let upgrade = upgradeHandler.withLock({ $0 }) else {
                return AdminServer.Response(status: 404, text: "this process cannot upgrade\n")
            }
            let report = upgrade()
            return AdminServer.Response(status: report.succeeded ? 200 : 409, text: report.text)
        case "/connections":
            return ConnectionsEndpoint.respond(to: request, gateway: gateway)
        case "/health":
            return shardsAnswer(timeoutSeconds: 2)
                ? AdminServer.Response(status: 200, text: "ok\n")
                : AdminServer.Response(status: 503, text: "a shard is not answering\n")
        default:
            return AdminServer.Response(
                status: 404, text: "not found: try /status, /metrics, /health, /connections, /reload or /upgrade\n")
        }
    }

    /// Whether every shard answers a report request within `timeoutSeconds` (`/health`, the watchdog).
    public func shardsAnswer(timeoutSeconds: Double) -> Bool {
        guard let gateway else { return true }
        return gateway.reports(timeoutSeconds: timeoutSeconds).count == gateway.configuration.shardCount
    }

    public func status() -> StatusDocument {
        let reports = gateway?.reports() ?? []
        let registerSnapshot = register?.snapshot
        return StatusDocument(
            pid: getpid(), version: RingGateVersion.current,
            state: shuttingDown.load(ordering: .relaxed) ? "draining" : "running", uptimeSeconds: uptimeSeconds,
            memory: ProcessFigures.memory(),
            listeners: gateway.map { server in
                zip(server.configuration.listeners, server.boundAddresses).map { "\($0.scheme)://\($1)" }
            } ?? [],
            workerAddresses: gateway?.innerAddresses.map(\.description) ?? [],
            shards: reports.map(StatusDocument.Shard.init),
            register: registerSnapshot.map { snapshot in
                StatusDocument.Register(
                    listen: register?.boundAddress?.description ?? "", connections: snapshot.connections,
                    gatewaysRegistered: snapshot.gatewaysRegistered, workersConnected: snapshot.workersConnected,
                    badRequests: snapshot.badRequests, authFailures: snapshot.authFailures)
            },
            shardsNotAnswering: (gateway?.configuration.shardCount ?? 0) - reports.count)
    }

    public func metrics() -> String {
        GatewayMetrics.render(
            reports: gateway?.reports() ?? [], register: register?.snapshot, memory: ProcessFigures.memory(),
            uptimeSeconds: uptimeSeconds, shuttingDown: shuttingDown.load(ordering: .relaxed), admin: adminCounters,
            certificates: loadedCertificates())
    }

    /// Every certificate new handshakes use now, with its listener (`wss://0.0.0.0:443`).
    func loadedCertificates() -> [(listener: String, certificate: TLSCertificateInfo)] {
        guard let gateway else { return [] }
        var loaded: [(listener: String, certificate: TLSCertificateInfo)] = []
        for (index, context) in gateway.currentTLSContexts.enumerated() {
            guard let context else { continue }
            let listener = gateway.configuration.listeners[index]
            let name = "\(listener.scheme)://\(gateway.boundAddresses[index])"
            for certificate in context.certificates { loaded.append((name, certificate)) }
        }
        return loaded
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

public enum RingGateVersion {
    public static let current = "0.4.0"
}
