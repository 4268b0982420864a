import ArgumentParser
import Logging
import RingGateDemo

/// The demo chat's business workers (`DemoChatHandler`): run them next to `ringgate register` and
/// `ringgate gateway --demo-page`, then open the gateway's address in a browser.
struct WorkerDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker-demo",
        abstract: "Run the demo chat's Swift BusinessWorkers (the page is served by 'ringgate gateway --demo-page')."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(
        name: .customLong("gateway-address"),
        help: "Gateway inner address ip:port to connect to directly, instead of asking a Register (repeatable).")
    var gatewayAddresses: [String] = []

    @Option(help: "Worker processes to emulate (one thread and one connection per gateway each).")
    var count: Int = 1

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    /// GatewayWorker's demo Register address, which the embedded default also uses.
    static let defaultRegisterAddress = "127.0.0.1:1238"

    func validate() throws {
        guard (1...1024).contains(count) else { throw ValidationError("--count must be between 1 and 1024") }
    }

    func run() throws {
        SignalWaiter.blockTerminationSignals()
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "ringgate-worker-demo")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let registerAddresses =
            cluster.registerAddresses.isEmpty && gatewayAddresses.isEmpty
            ? [Self.defaultRegisterAddress] : cluster.registerAddresses
        let workers = try DemoChat.startWorkers(
            registerAddresses: registerAddresses, gatewayAddresses: gatewayAddresses.isEmpty ? nil : gatewayAddresses,
            secretKey: cluster.secretKey, count: count, logger: logger)
        logger.info(
            "demo chat workers running",
            metadata: [
                "workers": "\(workers.workers.count)",
                "register": "\(registerAddresses)", "gateways": "\(gatewayAddresses)",
            ])
        SignalWaiter.waitForTermination()
        logger.info("stopping")
        withExtendedLifetime(workers) {}
    }
}
