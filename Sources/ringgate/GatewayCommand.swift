import ArgumentParser
import Logging
import RingGate
import RingGateCodecs
import RingGateDemo
import RingGateRuntime
import RingGateService

/// Runs a GatewayWorker gateway: clients on the listeners, workers on `lanIp:startPort+shard`.
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run a GatewayWorker-compatible gateway: clients relayed to PHP or Swift BusinessWorkers.",
        discussion: """
            Shard i is one gateway address in the cluster: it listens for workers and GatewayClient on
            lanIp:(startPort + i) and registers that address with the Register. The PHP settings map to
            these options: $gateway->lanIp, ->startPort, ->registerAddress, ->secretKey, ->pingInterval,
            ->pingNotResponseLimit, ->pingData.
            """
    )

    @Argument(
        help:
            "Client listeners, e.g. websocket://0.0.0.0:8282 text://0.0.0.0:8283; TLS: wss://0.0.0.0:443 (with --tls-certificate)."
    )
    var listeners: [String] = ["websocket://0.0.0.0:8282"]

    @Option(help: "IPv4 address workers reach this gateway on (encoded into every client_id).")
    var lanIp: String = "127.0.0.1"

    @Option(help: "Inner port of shard 0; shard i listens on startPort + i.")
    var startPort: UInt16 = 2900

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "Client heartbeat interval in seconds (0: off).")
    var pingInterval: Double = 0

    @Option(help: "Silent intervals before a client is closed (0: never).")
    var pingNotResponseLimit: Int = 0

    @Option(help: "Data sent to silent clients every interval through their framing (empty: none).")
    var pingData: String = ""

    @Option(help: "How clients are bound to workers: least-connections or random.")
    var router: String = UpstreamConfiguration.Router.leastConnections.rawValue

    @Option(help: "Shape of ON_WEBSOCKET_CONNECT data: workerman4 or workerman5 (match your workers' workerman).")
    var workermanVersion: String = "workerman4"

    @Flag(help: "Serve the demo chat page on plain HTTP GET / of WebSocket listeners (run 'ringgate worker-demo').")
    var demoPage = false

    @OptionGroup var options: ShardOptions

    func validate() throws {
        guard pingInterval >= 0, pingInterval <= 86_400 else {
            throw ValidationError("--ping-interval must be between 0 and 86400 seconds")
        }
        guard pingNotResponseLimit >= 0, pingNotResponseLimit <= 1_000_000 else {
            throw ValidationError("--ping-not-response-limit must be between 0 and 1000000")
        }
    }

    func upstreamConfiguration(secretKey: String) throws -> UpstreamConfiguration {
        var upstream = try UpstreamConfiguration(lanIP: lanIp, startPort: startPort)
        upstream.registerAddresses = try cluster.registerAddresses.map { text in
            guard let address = SocketAddress(text) else {
                throw ValidationError("--register-address '\(text)' is not an ip:port")
            }
            return address
        }
        upstream.secretKey = secretKey
        upstream.pingIntervalNanoseconds = UInt64(pingInterval * 1e9)
        upstream.pingNotResponseLimit = pingNotResponseLimit
        upstream.pingData = Array(pingData.utf8)
        guard let router = UpstreamConfiguration.Router(rawValue: router) else {
            throw ValidationError("--router must be least-connections or random")
        }
        upstream.router = router
        return upstream
    }

    func run() throws {
        SignalWaiter.blockTerminationSignals()
        options.log.logFormat.bootstrap()
        let logger = options.makeLogger()
        var configuration = try options.gatewayConfiguration(listenerURLs: listeners)
        let flavour: WebSocketHandshake.Flavour
        switch workermanVersion {
        case "workerman4", "4": flavour = .workerman4
        case "workerman5", "5": flavour = .workerman5
        default: throw ValidationError("--workerman-version must be workerman4 or workerman5")
        }
        for index in configuration.listeners.indices {
            configuration.listeners[index].webSocket.workermanVersion = flavour
            if demoPage { configuration.listeners[index].webSocket.httpPage = DemoChatPage.httpPage }
        }
        let secretKey = try cluster.secret.resolve(logger: logger)
        configuration.upstream = try upstreamConfiguration(secretKey: secretKey)
        if secretKey.isEmpty, let upstream = configuration.upstream {
            for warning in StartupChecks.emptyGatewaySecretWarnings(
                lanIP: upstream.lanIP, startPort: upstream.startPort, registerAddresses: upstream.registerAddresses,
                keyPrefix: "--")
            {
                logger.warning("\(warning)")
            }
        }
        let server = try GatewayServer(configuration: configuration, logger: logger)
        logger.info(
            "gateway running",
            metadata: [
                "listeners":
                    "\(zip(configuration.listeners, server.boundAddresses).map { "\($0.scheme)://\($1)" })",
                "inner": "\(server.innerAddresses.map(\.description))",
                "register": "\(cluster.registerAddresses)",
                "shards": "\(configuration.shardCount)", "threads": "\(configuration.effectiveThreadCount)",
            ])
        TestHooks.apply(to: server, logger: logger)
        SignalWaiter.waitForTermination(onHangup: { options.reloadCertificates(server, configuration, logger) })
        logger.info("stopping")
        ShutdownGuard.run(deadlineSeconds: ShutdownGuard.graceSeconds, logger: logger) { server.stop() }
    }
}
