import ArgumentParser
import Logging
import RingGateWorkerKit

/// A Swift BusinessWorker that sends every client message back to its sender: the relayed path
/// (client → gateway → worker → gateway → client) for conformance runs and benchmarks.
struct EchoWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-worker",
        abstract: "Run a Swift BusinessWorker that echoes every client message (conformance, benchmarks)."
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

    struct Echo: BusinessWorkerHandler {
        func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
            context.send(message)
        }
    }

    func run() throws {
        SignalWaiter.blockTerminationSignals()
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "ringgate-echo-worker")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        guard !cluster.registerAddresses.isEmpty || !gatewayAddresses.isEmpty else {
            throw ValidationError("give --register-address or --gateway-address")
        }
        var workers: [BusinessWorker] = []
        for index in 0..<max(1, count) {
            let configuration = BusinessWorker.Configuration(
                name: "EchoWorker", processIndex: index, secretKey: cluster.secretKey,
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
