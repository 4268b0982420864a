import Logging

/// A Swift GatewayWorker BusinessWorker: it registers with the gateways, receives their client events
/// and runs a `BusinessWorkerHandler` for each, with `gateway` to reply, broadcast and query.
///
/// ```swift
/// struct Echo: BusinessWorkerHandler {
///     func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
///         context.send(message)
///     }
/// }
/// let worker = try BusinessWorker(
///     configuration: .init(name: "EchoWorker", registerAddresses: ["127.0.0.1:1236"]), handler: Echo())
/// try await worker.run()
/// ```
///
/// Each worker owns one thread (its event loop) with every connection it needs: one per Register, one
/// worker connection per gateway (`name:index` is its worker key), and query connections on demand.
/// The handler runs on that thread. Several workers in one process (say one per core, with distinct
/// `processIndex`) behave like several PHP BusinessWorker processes.
public final class BusinessWorker: Sendable {
    /// How a worker finds gateways and identifies itself.
    public struct Configuration: Sendable {
        /// Worker name (PHP `$worker->name`); the worker key is `name:processIndex`.
        public var name: String
        /// Process index (PHP `$worker->id`).
        public var processIndex: Int
        /// Must equal the gateways' and Register's `secretKey`.
        public var secretKey: String
        /// Register addresses (`a.b.c.d:port`); the worker connects to all of them and each broadcast
        /// replaces its gateway list.
        public var registerAddresses: [String]
        /// Fixed gateway inner addresses instead of a Register (tests, static deployments).
        public var gatewayAddresses: [String]?
        /// Delay before reconnecting a closed Register or worker connection (PHP: 1 s).
        public var reconnectDelay: Duration = .seconds(1)
        /// Register keepalive period, used unless the Register address starts with `127.0.0.1` (25 s).
        public var registerPingInterval: Duration = .seconds(25)
        /// How long a query waits for a gateway's reply (PHP: 5 s).
        public var queryTimeout: Duration = .seconds(5)
        /// Commands are dropped while a worker connection already has this many bytes queued
        /// (PHP `sendToGatewayBufferSize`).
        public var maxSendBufferByteCount = 10_240_000
        /// Largest packet accepted from a gateway (workerman's 10 MiB); a larger one closes the connection.
        public var maxPackageLength = 10_485_760
        /// Where connection changes and dropped input are logged.
        public var logger: Logger

        /// `name:processIndex`, the key gateways know this worker by.
        public var workerKey: String { "\(name):\(processIndex)" }

        public init(
            name: String = "BusinessWorker", processIndex: Int = 0, secretKey: String = "",
            registerAddresses: [String] = ["127.0.0.1:1236"], gatewayAddresses: [String]? = nil,
            logger: Logger = Logger(label: "RingGateWorkerKit.BusinessWorker")
        ) {
            self.name = name
            self.processIndex = processIndex
            self.secretKey = secretKey
            self.registerAddresses = registerAddresses
            self.gatewayAddresses = gatewayAddresses
            self.logger = logger
        }
    }

    /// The configuration the worker was created with.
    public let configuration: Configuration
    /// The `Lib\Gateway` API, usable from the handler and from any other thread or task.
    public let gateway: Gateway
    private let core: LoopBound<WorkerCore>

    /// A worker that will run `handler`; nothing connects before `start()` or `run()`. The handler is
    /// handed over to the worker's thread (`sending`), so it may keep mutable state without locks.
    public init(configuration: Configuration, handler: sending some BusinessWorkerHandler) throws(GatewayKitError) {
        for address in configuration.gatewayAddresses ?? configuration.registerAddresses
        where IPv4Endpoint(parsing: address) == nil {
            throw .invalidAddress(address)
        }
        self.configuration = configuration
        let loop = try EventLoop(name: "worker \(configuration.workerKey)", logger: configuration.logger)
        let workerCore = WorkerCore(configuration: configuration, loop: loop, handler: handler)
        let gateway = Gateway(router: workerCore, logger: configuration.logger)
        workerCore.gateway = gateway
        self.gateway = gateway
        self.core = LoopBound(workerCore, loop: loop)
    }

    /// Starts the worker's thread and connects. Returns at once; calling it again does nothing.
    public func start() throws(GatewayKitError) {
        if try core.loop.start() { core.loop.execute({ [core] in core.value.start() }) }
    }

    /// Starts the worker (if needed) and returns once it was shut down.
    public func run() async throws(GatewayKitError) {
        try start()
        await core.loop.waitUntilStopped()
    }

    /// Closes every connection, fails pending queries with `.shutdown`, stops the thread, and returns
    /// once it has stopped. Events not yet handled are dropped.
    public func shutdown() async {
        core.loop.requestStop()
        await core.loop.waitUntilStopped()
    }

    /// The gateway addresses the worker currently knows (the latest Register list).
    public func gatewayAddresses() async -> [String] {
        await withCheckedContinuation { continuation in
            core.loop.execute(
                { [core] in continuation.resume(returning: core.value.gatewayAddressStrings) },
                ifStopped: { continuation.resume(returning: []) })
        }
    }

    /// The worker's counters.
    public func statistics() async -> WorkerKitStatistics {
        await gateway.statistics()
    }
}
