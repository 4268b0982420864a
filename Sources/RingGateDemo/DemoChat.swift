import Logging
import RingGateWorkerKit

/// Runs the demo chat's business workers: what `ringgate worker-demo` runs, and what `ringgate start`
/// runs in-process next to its gateway and Register.
public enum DemoChat {
    /// The workers' name (the worker key is `DemoChatWorker:<index>`).
    public static let workerName = "DemoChatWorker"

    /// Starts `count` workers running `DemoChatHandler`, each on its own thread, that find the
    /// gateways through `registerAddresses` (or connect to `gatewayAddresses` directly when given).
    /// Returns once they are started; they connect (and reconnect) in the background.
    public static func startWorkers(
        registerAddresses: [String], gatewayAddresses: [String]? = nil, secretKey: String = "", count: Int = 1,
        logger: Logger
    ) throws(GatewayKitError) -> DemoChatWorkers {
        var workers: [BusinessWorker] = []
        for index in 0..<max(1, count) {
            let configuration = BusinessWorker.Configuration(
                name: workerName, processIndex: index, secretKey: secretKey, registerAddresses: registerAddresses,
                gatewayAddresses: gatewayAddresses, logger: logger)
            let worker = try BusinessWorker(configuration: configuration, handler: DemoChatHandler())
            do {
                try worker.start()
            } catch {
                // Workers already started would keep running with nobody to stop them.
                let started = workers
                Task { for worker in started { await worker.shutdown() } }
                throw error
            }
            workers.append(worker)
        }
        return DemoChatWorkers(workers: workers)
    }
}

/// The running demo chat workers.
public struct DemoChatWorkers: Sendable {
    public let workers: [BusinessWorker]

    /// Closes every worker's connections and stops their threads; returns once all have stopped.
    public func shutdown() async {
        for worker in workers { await worker.shutdown() }
    }
}
