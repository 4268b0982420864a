import Glibc
import Logging
import RingGate
import RingGateRuntime
import Synchronization

/// Something the service started and stops on shutdown (the demo workers).
public protocol ServicePart: Sendable {
    func stop()
}

/// One `ringgate start` process: the built-in Register, the gateway, the demo workers and the admin
/// endpoint, started in that order and stopped in reverse, with a graceful drain of the clients.
public final class Service: Sendable {
    /// Starts the demo workers (the worker kit lives outside this module).
    public typealias WorkerLauncher = @Sendable (ServiceConfiguration.WorkerDemo, Logger) throws -> any ServicePart

    public let configuration: ServiceConfiguration
    public let figures: ServiceFigures
    let logger: Logger
    private let workers: Mutex<(any ServicePart)?>
    let admin: AdminServer?
    /// Set once the clients were handed to a new process (`ringgate upgrade`): shutting down then
    /// neither drains anyone nor tells systemd the service is stopping.
    public let handedOver = Atomic<Bool>(false)

    public var gatewayAddresses: [SocketAddress] { figures.gateway?.boundAddresses ?? [] }
    public var workerAddresses: [SocketAddress] { figures.gateway?.innerAddresses ?? [] }
    public var registerAddress: SocketAddress? { figures.register?.boundAddress }
    public var adminAddress: SocketAddress? { admin?.address }

    /// Starts everything; on a failure, what was started is stopped again and the error says which part.
    public init(
        configuration: ServiceConfiguration, gatewayConfiguration: GatewayConfiguration?, logger: Logger,
        launchWorkers: WorkerLauncher?, inherited: InheritedSockets? = nil
    ) throws {
        self.configuration = configuration
        self.logger = logger
        var register: RegisterServer?
        var gateway: GatewayServer?
        var workers: (any ServicePart)?
        do {
            if configuration.register.enabled {
                let server = RegisterServer(
                    configuration: RegisterServer.Configuration(
                        listenAddress: configuration.register.listen,
                        registry: RegisterRegistry.Configuration(
                            secretKey: configuration.register.secretKey,
                            maxGateways: configuration.register.maxGateways),
                        maxConnections: configuration.register.maxConnections),
                    logger: logger)
                // Taking over, the old process's Register serves until it exits (`completeTakeover`).
                if inherited == nil {
                    do { _ = try server.start() } catch {
                        throw ServiceError("register.listen \(configuration.register.listen): \(error)")
                    }
                }
                register = server
            }
            if let gatewayConfiguration {
                let server: GatewayServer
                do {
                    if let sockets = inherited?.gateway {
                        server = try GatewayServer(
                            configuration: gatewayConfiguration, logger: logger, adopting: sockets)
                    } else {
                        server = try GatewayServer(configuration: gatewayConfiguration, logger: logger)
                    }
                } catch {
                    throw ServiceError("gateway: \(error)")
                }
                gateway = server
                logger.info(
                    "gateway running",
                    metadata: [
                        "listeners":
                            "\(zip(gatewayConfiguration.listeners, server.boundAddresses).map { "\($0.framing.scheme)://\($1)" })",
                        "workers_connect_to": "\(server.innerAddresses.map(\.description))",
                        "shards": "\(gatewayConfiguration.shardCount)",
                        "threads": "\(gatewayConfiguration.effectiveThreadCount)",
                        "connections_per_shard": "\(gatewayConfiguration.effectiveConnectionsPerShard)",
                    ])
            }
            // Taking over, the demo workers start once the clients are here (`completeTakeover`): they
            // then connect straight to the adopted shards instead of to the old process's.
            if configuration.workerDemo.enabled, inherited == nil, let launchWorkers {
                workers = try launchWorkers(configuration.workerDemo, logger)
                logger.info("demo chat worker running", metadata: ["count": "\(configuration.workerDemo.count)"])
                // A client arriving before any worker registered would be closed (spec §5.4): with the
                // workers in this process, be ready only once every shard has one.
                if let gateway { Self.waitForWorkers(gateway, logger: logger) }
            }
        } catch {
            workers?.stop()
            gateway?.stop()
            register?.stop()
            throw error
        }
        let figures = ServiceFigures(register: register, gateway: gateway)
        self.figures = figures
        self.workers = Mutex(workers)
        self.inherited = inherited
        self.launchWorkers = configuration.workerDemo.enabled ? launchWorkers : nil
        if let address = configuration.admin.listen {
            do {
                admin = try AdminServer(
                    address: address, logger: logger, counters: figures.adminCounters, adopting: inherited?.admin
                ) {
                    figures.respond(to: $0)
                }
            } catch {
                workers?.stop()
                gateway?.stop()
                register?.stop()
                throw ServiceError("admin.listen \(address): \(error)")
            }
            if inherited == nil {
                admin?.start()
                logger.info("admin endpoint listening", metadata: ["address": "http://\(admin!.address)/status"])
            }
        } else {
            admin = nil
        }
    }

    /// Graceful shutdown: the gateway drains its clients (close 1001 after their queued output, within
    /// `gateway.drain_seconds`) while the workers still receive the last events; then the workers, the
    /// Register and the admin endpoint stop.
    public func shutdown() {
        figures.markShuttingDown()
        let stopDuringUpgrade = isUpgrading
        // A takeover under way ends first (it is bounded: 30 s per step): draining now would close clients
        // whose sockets the new process may already serve.
        let deadline = ContinuousClock.now + .seconds(120)
        while isUpgrading && ContinuousClock.now < deadline {
            usleep(20_000)
        }
        if handedOver.load(ordering: .acquiring) {
            // The stop was asked of the clients' process, and they now live in the new one.
            if stopDuringUpgrade { passStopToSuccessor() }
            // Every client lives on in the new process: stop what is left here without a drain.
            // The `/upgrade` answer may still be on its way out of the admin thread: give it a moment, then
            // stop answering first (the new process serves the admin endpoint once this one is gone).
            usleep(200_000)
            admin?.stop()
            stopWorkers()
            figures.gateway?.stop()
            figures.register?.stop()
            logger.info("stopped after handing over")
            return
        }
        if let gateway = figures.gateway {
            logger.info("draining clients", metadata: ["drain_seconds": "\(configuration.gateway.drainSeconds)"])
            gateway.drainAndStop(drainSeconds: configuration.gateway.drainSeconds)
        }
        stopWorkers()
        figures.register?.stop()
        admin?.stop()
        logger.info("stopped")
    }

    /// Whether in-process demo workers run.
    var runsWorkers: Bool { workers.withLock { $0 != nil } }

    /// Stops the in-process demo workers (once; a live takeover stops them before moving the shards, so
    /// that no event goes to a worker about to exit).
    func stopWorkers() {
        let running = workers.withLock { workers in
            defer { workers = nil }
            return workers
        }
        running?.stop()
    }

    private let launchWorkers: WorkerLauncher?
    private let upgrading = Atomic<Bool>(false)

    /// A live takeover is handing the clients over right now.
    public var isUpgrading: Bool {
        upgrading.load(ordering: .acquiring) && !handedOver.load(ordering: .acquiring)
    }

    /// `ringgate upgrade` (admin `/upgrade`, SIGUSR2): hands every client to a new process started from the
    /// binary now at this process's path, with `arguments` (this process's command line). On success this
    /// process holds nothing and should exit (`shutdown` then skips the drain); on failure it goes on serving.
    public func upgrade(arguments: [String]) -> UpgradeReport {
        guard let gateway = figures.gateway else {
            return UpgradeReport(succeeded: false, lines: ["refused: this process runs no gateway"])
        }
        guard !handedOver.load(ordering: .acquiring), !figures.isShuttingDown else {
            return UpgradeReport(succeeded: false, lines: ["refused: this process is shutting down"])
        }
        guard upgrading.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return UpgradeReport(succeeded: false, lines: ["refused: an upgrade is already running"]) }
        let report = UpgradeCoordinator(service: self, gateway: gateway).run(
            binary: ExecutablePath.current(), arguments: arguments)
        if report.succeeded {
            successorPID.store(report.newPID ?? 0, ordering: .relaxed)
            handedOver.store(true, ordering: .releasing)
        } else {
            upgrading.store(false, ordering: .releasing)
        }
        return report
    }

    /// The process a successful upgrade handed every client to; 0 before.
    private let successorPID = Atomic<Int32>(0)

    /// A stop asked of this process while its upgrade ran (or once it had handed over) is meant for the
    /// clients, who now live in the new process: it gets the SIGTERM, and drains them as this one would have.
    public func passStopToSuccessor() {
        let pid = successorPID.load(ordering: .relaxed)
        guard handedOver.load(ordering: .acquiring), pid > 0 else { return }
        if kill(pid, SIGTERM) == 0 {
            logger.notice(
                "stop requested during the upgrade: passed to the new process, which holds every client now",
                metadata: ["pid": "\(pid)"])
        } else {
            logger.error(
                "stop requested during the upgrade, but the new process could not be signalled",
                metadata: ["pid": "\(pid)", "errno": "\(errno)"])
        }
    }

    /// Starts the in-process demo workers after a takeover: in the new process once it holds the clients,
    /// in the old one when the upgrade failed (the shards buffered the client events meanwhile and deliver
    /// them once the workers registered).
    func startWorkersAfterTakeover() {
        guard let launchWorkers else { return }
        do {
            let started = try launchWorkers(configuration.workerDemo, logger)
            workers.withLock { $0 = started }
        } catch {
            logger.error("cannot restart the demo workers after the failed upgrade: \(error)")
        }
    }

    /// The sockets a new process inherited, kept until `completeTakeover` starts the Register and the
    /// admin endpoint on them.
    private let inherited: InheritedSockets?

    /// New process: the old one exited (or never will hand over more): serve the Register and the admin
    /// endpoint on the inherited sockets.
    public func completeTakeover() {
        guard let inherited else { return }
        // The demo workers start only now: their clients' events wait for them meanwhile.
        if launchWorkers != nil { figures.gateway?.holdEventsWithoutWorkers(seconds: 10) }
        startWorkersAfterTakeover()
        if let register = figures.register {
            do { _ = try register.start(adopting: inherited.register) } catch {
                logger.error("cannot start the Register on the inherited socket: \(error)")
            }
        }
        if let admin {
            admin.start()
            logger.info("admin endpoint listening", metadata: ["address": "http://\(admin.address)/status"])
        }
    }

    private static func waitForWorkers(_ gateway: GatewayServer, logger: Logger) {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let reports = gateway.reports(timeoutSeconds: 1)
            if reports.count == gateway.configuration.shardCount,
                reports.allSatisfy({ ($0.counters.upstream?.workersRegistered ?? 0) > 0 })
            {
                return
            }
            usleep(20_000)
        }
        logger.warning("the demo worker did not register with every shard within 10 s; starting anyway")
    }

}

/// The listening sockets a new process inherits from the old one in a live takeover.
public struct InheritedSockets: Sendable {
    public var gateway: TakeoverSockets?
    public var register: ListeningSocket?
    public var admin: ListeningSocket?

    public init(gateway: TakeoverSockets?, register: ListeningSocket?, admin: ListeningSocket?) {
        self.gateway = gateway
        self.register = register
        self.admin = admin
    }
}

/// A service part failed to start.
public struct ServiceError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
