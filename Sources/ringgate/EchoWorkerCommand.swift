import ArgumentParser
import Logging
import RingGateService
import RingGateWorkerKit

/// A Swift BusinessWorker that sends every client message back to its sender: the relayed path
/// (client → gateway → worker → gateway → client) for conformance runs and benchmarks.
struct EchoWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-worker",
        abstract: "Run a Swift BusinessWorker that echoes every client message (conformance, benchmarks)."
    )

    @OptionGroup var options: WorkerOptions

    @Option(
        help:
            "BusinessWorker name. Workers on one host need distinct name:index keys, or each registration replaces the other's (spec §5.2): give every echo-worker process its own name."
    )
    var name = "EchoWorker"

    struct Echo: BusinessWorkerHandler {
        func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
            context.send(message)
        }
    }

    func run() throws {
        SignalWaiter.blockTerminationSignals()
        options.log.logFormat.bootstrap()
        let logger = options.makeLogger(label: "ringgate-echo-worker")
        let (cluster, gatewayAddresses, count) = (options.cluster, options.gatewayAddresses, options.count)
        let secretKey = try cluster.secret.resolve(logger: logger)
        guard !cluster.registerAddresses.isEmpty || !gatewayAddresses.isEmpty else {
            throw ValidationError("give --register-address or --gateway-address")
        }
        var workers: [BusinessWorker] = []
        for index in 0..<max(1, count) {
            let configuration = BusinessWorker.Configuration(
                name: name, processIndex: index, secretKey: secretKey,
                registerAddresses: cluster.registerAddresses,
                gatewayAddresses: gatewayAddresses.isEmpty ? nil : gatewayAddresses, logger: logger)
            let worker = try BusinessWorker(configuration: configuration, handler: Echo())
            try worker.start()
            workers.append(worker)
        }
        logger.info("echo worker running", metadata: ["workers": "\(workers.count)"])
        SignalWaiter.waitForTermination()
        logger.info("stopping")
        withExtendedLifetime(workers) {}
    }
}
