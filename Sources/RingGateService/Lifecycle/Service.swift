import Glibc
import Logging
import RingGate
import RingGateRuntime

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
    private let logger: Logger
    private let workers: (any ServicePart)?
    private let admin: AdminServer?

    public var gatewayAddresses: [SocketAddress] { figures.gateway?.boundAddresses ?? [] }
    public var workerAddresses: [SocketAddress] { figures.gateway?.innerAddresses ?? [] }
    public var registerAddress: SocketAddress? { figures.register?.boundAddress }
    public var adminAddress: SocketAddress? { admin?.address }

    /// Starts everything; on a failure, what was started is stopped again and the error says which part.
    public init(
        configuration: ServiceConfiguration, gatewayConfiguration: GatewayConfiguration?, logger: Logger,
        launchWorkers: WorkerLauncher?
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
                do { _ = try server.start() } catch {
                    throw ServiceError("register.listen \(configuration.register.listen): \(error)")
                }
                register = server
            }
            if let gatewayConfiguration {
                let server: GatewayServer
                do { server = try GatewayServer(configuration: gatewayConfiguration, logger: logger) } catch {
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
            if configuration.workerDemo.enabled, let launchWorkers {
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
        self.workers = workers
        if let address = configuration.admin.listen {
            do {
                admin = try AdminServer(address: address, logger: logger, counters: figures.adminCounters) {
                    figures.respond(to: $0)
                }
            } catch {
                workers?.stop()
                gateway?.stop()
                register?.stop()
                throw ServiceError("admin.listen \(address): \(error)")
            }
            admin?.start()
            logger.info("admin endpoint listening", metadata: ["address": "http://\(admin!.address)/status"])
        } else {
            admin = nil
        }
    }

    /// Graceful shutdown: the gateway drains its clients (close 1001 after their queued output, within
    /// `gateway.drain_seconds`) while the workers still receive the last events; then the workers, the
    /// Register and the admin endpoint stop.
    public func shutdown() {
        figures.markShuttingDown()
        if let gateway = figures.gateway {
            logger.info("draining clients", metadata: ["drain_seconds": "\(configuration.gateway.drainSeconds)"])
            gateway.drainAndStop(drainSeconds: configuration.gateway.drainSeconds)
        }
        workers?.stop()
        figures.register?.stop()
        admin?.stop()
        logger.info("stopped")
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

/// A service part failed to start.
public struct ServiceError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
