import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

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
/// Each worker runs on one SwiftNIO event loop with every connection it needs: one per Register, one
/// worker connection per gateway (`name:index` is its worker key), and query connections on demand.
/// The handler runs on that loop's thread. The loop is taken from `eventLoopGroup` (an application's
/// group, say Hummingbird's or Vapor's) or, when none is given, from a one-thread group the worker owns.
/// Several workers in one process (one per core, with distinct `processIndex`) behave like several PHP
/// BusinessWorker processes.
///
/// `BusinessWorker` is a swift-service-lifecycle `Service`: in a `ServiceGroup`, `run()` returns once a
/// graceful shutdown closed the worker's connections.
public final class BusinessWorker: Service, Sendable {
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
    private let started = Mutex(false)

    /// A worker that will run `handler`; nothing connects before `start()` or `run()`. The handler is
    /// handed over to the worker's loop (`sending`), so it may keep mutable state without locks. The
    /// worker runs on `eventLoopGroup.next()`, or on a thread of its own when it is nil.
    public init(
        configuration: Configuration, handler: sending some BusinessWorkerHandler,
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) throws(GatewayKitError) {
        for address in configuration.gatewayAddresses ?? configuration.registerAddresses
        where IPv4Endpoint(parsing: address) == nil {
            throw .invalidAddress(address)
        }
        self.configuration = configuration
        let loop = KitLoop(
            name: "worker \(configuration.workerKey)", logger: configuration.logger, group: eventLoopGroup)
        let workerCore = WorkerCore(configuration: configuration, loop: loop, handler: handler)
        let gateway = Gateway(router: workerCore, logger: configuration.logger)
        workerCore.gateway = gateway
        self.gateway = gateway
        self.core = LoopBound(workerCore, loop: loop)
    }

    /// Connects (on the worker's loop). Returns at once; calling it again, or after `shutdown()`, does
    /// nothing.
    public func start() throws(GatewayKitError) {
        let first = started.withLock { started in
            defer { started = true }
            return !started
        }
        if first { core.loop.execute({ [core] in core.value.start() }) }
    }

    /// Starts the worker (if needed) and returns once it was shut down: by `shutdown()`, by a
    /// `ServiceGroup`'s graceful shutdown, or by cancelling the calling task.
    public func run() async throws(GatewayKitError) {
        try start()
        let loop = core.loop
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await loop.waitUntilStopped()
            } onGracefulShutdown: {
                loop.requestStop()
            }
        } onCancel: {
            loop.requestStop()
        }
    }

    /// Closes every connection, fails pending queries with `.shutdown`, stops the worker's own thread
    /// (if it has one), and returns once it has stopped. Events not yet handled are dropped.
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
