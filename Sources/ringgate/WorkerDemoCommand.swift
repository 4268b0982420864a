import ArgumentParser
import Logging
import RingGateDemo
import RingGateService

/// The demo chat's business workers (`DemoChatHandler`): run them next to `ringgate register` and
/// `ringgate gateway --demo-page`, then open the gateway's address in a browser.
struct WorkerDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker-demo",
        abstract: "Run the demo chat's Swift BusinessWorkers (the page is served by 'ringgate gateway --demo-page')."
    )

    @OptionGroup var options: WorkerOptions

    /// GatewayWorker's demo Register address, which the embedded default also uses.
    static let defaultRegisterAddress = "127.0.0.1:1238"

    func run() throws {
        SignalWaiter.blockTerminationSignals()
        options.log.logFormat.bootstrap()
        let logger = options.makeLogger(label: "ringgate-worker-demo")
        let (cluster, gatewayAddresses) = (options.cluster, options.gatewayAddresses)
        let secretKey = try cluster.secret.resolve(logger: logger)
        let registerAddresses =
            cluster.registerAddresses.isEmpty && gatewayAddresses.isEmpty
            ? [Self.defaultRegisterAddress] : cluster.registerAddresses
        let workers = try DemoChat.startWorkers(
            registerAddresses: registerAddresses, gatewayAddresses: gatewayAddresses.isEmpty ? nil : gatewayAddresses,
            secretKey: secretKey, count: options.count, logger: logger)
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
