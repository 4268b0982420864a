import ArgumentParser
import Logging
import RingGate
import RingGateService

@main
struct RingGateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringgate",
        abstract: "A GatewayWorker-compatible gateway on io_uring.",
        subcommands: [
            StartCommand.self, StopCommand.self, RestartCommand.self, StatusCommand.self, ConnectionsCommand.self,
            ReloadCommand.self, UpgradeCommand.self, CheckConfigCommand.self, GatewayCommand.self,
            RegisterCommand.self, WorkerDemoCommand.self, EchoCommand.self, EchoWorkerCommand.self,
        ]
    )
}

/// Options shared by every command that runs shards.
struct ShardOptions: ParsableArguments {
    @Option(help: "Shards, each with its own rings, sockets and tables. Default: the CPUs this process may use.")
    var shards: Int?

    @Option(
        help:
            "Threads the shards run on (pinned; a thread's shards take turns in one loop). Default: one per usable CPU."
    )
    var threads: Int?

    @Option(help: "Direct-descriptor table size per shard (default: RLIMIT_NOFILE minus a reserve).")
    var connectionsPerShard: Int?

    @Option(
        name: .customLong("slab-mib"),
        help: "Slab per thread (shared by its shards) for receive buffers and chunks, in MiB (default 16).")
    var slabMiBOption: Int?

    /// The spelling before 0.x (`--slab-mi-b`, argument-parser's split of `slabMiB`), accepted for one release.
    @Option(name: .customLong("slab-mi-b"), help: .private)
    var legacySlabMiB: Int?

    var slabMiB: Int { slabMiBOption ?? legacySlabMiB ?? 16 }

    @Flag(help: "Use normal pages even when huge pages are available.")
    var noHugePages = false

    @Option(help: "Map the slab from a file on this hugetlbfs mount instead of MAP_HUGETLB.")
    var hugetlbfs: String?

    @Option(help: "Largest client message in bytes (workerman's maxPackageSize).")
    var maxPackageLength: Int = 10_485_760

    @Option(help: "WebSocket checking: rfc6455 or workerman (lenient).")
    var websocketCompliance: String = "rfc6455"

    @Option(help: "Frame type of messages sent to WebSocket clients: text, binary, or mirror (the client's last).")
    var websocketFrameType: String = "text"

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @OptionGroup var tls: TLSOptions
    @OptionGroup var log: LogFormatOption

    func gatewayConfiguration(listenerURLs: [String]) throws -> GatewayConfiguration {
        var listeners: [ListenerConfiguration] = []
        for url in listenerURLs {
            var listener = try ListenerConfiguration(url: url)
            listener.maxPackageLength = maxPackageLength
            guard let compliance = WebSocketListenerOptions.Compliance(rawValue: websocketCompliance) else {
                throw ValidationError("--websocket-compliance must be rfc6455 or workerman")
            }
            guard let frameType = WebSocketListenerOptions.FrameType(rawValue: websocketFrameType) else {
                throw ValidationError("--websocket-frame-type must be text, binary or mirror")
            }
            listener.webSocket.compliance = compliance
            listener.webSocket.outgoingFrameType = frameType
            listeners.append(listener)
        }
        try tls.apply(to: &listeners)
        var configuration = GatewayConfiguration(listeners: listeners)
        if let shards {
            guard shards > 0 else { throw ValidationError("--shards must be at least 1") }
            configuration.shardCount = shards
        }
        if let threads {
            guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
            configuration.threadCount = threads
        }
        configuration.connectionsPerShard = connectionsPerShard
        configuration.slabBytesPerThread = slabMiB << 20
        configuration.useHugePages = !noHugePages
        configuration.hugetlbfsDirectory = hugetlbfs
        return configuration
    }

    /// SIGHUP: the same certificate files loaded again for new handshakes (renewed in place).
    func reloadCertificates(_ server: GatewayServer, _ configuration: GatewayConfiguration, _ logger: Logger) {
        do {
            try server.reloadTLS(configuration.listeners)
        } catch {
            logger.error("certificates not reloaded, the old ones stay in use: \(error)")
        }
    }

    func makeLogger() -> Logger {
        var logger = Logger(label: "ringgate")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}

/// Runs the gateway with the echo application: every message goes back to its sender.
struct EchoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Echo every client message back through its framing (tests, conformance, benchmarks)."
    )

    @Argument(
        help:
            "Listeners, e.g. websocket://0.0.0.0:8282 text://0.0.0.0:8283 frame://… tcp://…; TLS: wss://…, ssl://…, text+tls://… (with --tls-certificate)."
    )
    var listeners: [String] = ["websocket://0.0.0.0:8282"]

    @OptionGroup var options: ShardOptions

    func run() throws {
        SignalWaiter.blockTerminationSignals()
        options.log.logFormat.bootstrap()
        let logger = options.makeLogger()
        let configuration = try options.gatewayConfiguration(listenerURLs: listeners)
        let server = try GatewayServer(configuration: configuration, logger: logger) { _ in EchoApplication() }
        logger.info(
            "echo gateway running",
            metadata: [
                "listeners":
                    "\(zip(configuration.listeners, server.boundAddresses).map { "\($0.scheme)://\($1)" })",
                "shards": "\(configuration.shardCount)", "threads": "\(configuration.effectiveThreadCount)",
                "connections_per_shard": "\(configuration.effectiveConnectionsPerShard)",
                "slab_mib": "\(configuration.slabBytesPerThread >> 20)",
            ])
        SignalWaiter.waitForTermination(onHangup: { options.reloadCertificates(server, configuration, logger) })
        logger.info("stopping")
        ShutdownGuard.run(deadlineSeconds: ShutdownGuard.graceSeconds, logger: logger) { server.stop() }
    }
}
