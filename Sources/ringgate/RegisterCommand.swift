import ArgumentParser
import Logging
import RingGate
import RingGateRuntime
import RingGateService

/// Runs the built-in Register service (spec §6) until SIGINT or SIGTERM, in place of GatewayWorker's
/// PHP Register: PHP gateways, BusinessWorkers and GatewayClient connect to it unchanged.
struct RegisterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Run the Register service that gateways and business workers find each other through."
    )

    @Option(help: "Listen address, ip:port (GatewayWorker's default Register address is 127.0.0.1:1236).")
    var listen: String = "127.0.0.1:1236"

    /// The secret gateways and workers must present (the PHP Register's secretKey). Default: none.
    @OptionGroup var secret: SecretKeyOptions

    @Option(help: "Longest accepted line in bytes; a longer one closes the connection.")
    var maxLineLength: Int = 65_536

    @Option(help: "Most open connections; when full, the oldest unauthenticated one is closed for a newcomer.")
    var maxConnections: Int = 4096

    @Option(help: "Most registered gateway connections; one more gateway_connect closes its connection.")
    var maxGateways: Int = 1024

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @OptionGroup var log: LogFormatOption

    func validate() throws {
        guard SocketAddress(listen) != nil else {
            throw ValidationError("--listen must be ip:port, e.g. 127.0.0.1:1236 or [::1]:1236")
        }
        guard maxLineLength > 0 else { throw ValidationError("--max-line-length must be positive") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        guard maxGateways > 0 else { throw ValidationError("--max-gateways must be positive") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() throws {
        SignalWaiter.blockTerminationSignals()
        log.logFormat.bootstrap()
        var logger = Logger(label: "ringgate.register")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        guard let address = SocketAddress(listen) else { throw ValidationError("bad --listen \(listen)") }
        let secretKey = try secret.resolve(logger: logger)
        if secretKey.isEmpty, !address.isLoopback {
            logger.warning(
                """
                the secret key is empty and --listen \(address) is not a loopback address: anyone who reaches it \
                can register a gateway address of their choosing (workers then connect to it) or learn every \
                gateway; give --secret-key-file
                """)
        }
        let server = RegisterServer(
            configuration: RegisterServer.Configuration(
                listenAddress: address,
                registry: RegisterRegistry.Configuration(
                    secretKey: secretKey, maxLineLength: maxLineLength, maxGateways: maxGateways),
                maxConnections: maxConnections),
            logger: logger)
        try server.start()
        SignalWaiter.waitForTermination()
        logger.info("stopping")
        ShutdownGuard.run(deadlineSeconds: ShutdownGuard.graceSeconds, logger: logger) { server.stop() }
        let snapshot = server.snapshot
        logger.info(
            "register totals",
            metadata: [
                "accepted": "\(snapshot.connectionsAccepted)",
                "registrations": "\(snapshot.registry.gatewayRegistrations)",
                "worker_connects": "\(snapshot.registry.workerConnects)",
                "bad_requests": "\(snapshot.badRequests)", "auth_failures": "\(snapshot.authFailures)",
            ])
    }
}
