import Logging
import NIOCore
import ServiceLifecycle

/// The gateway API for any Swift program — a CLI, a web backend — like PHP's GatewayClient.
///
/// ```swift
/// let client = try GatewayClient(configuration: .init(registerAddresses: ["127.0.0.1:1236"]))
/// client.gateway.sendToUid("42", "you have mail")
/// let online = try await client.gateway.getAllClientIdCount()
/// try await client.gateway.flush()
/// await client.shutdown()
/// ```
///
/// Gateway addresses come from the Register (a `worker_connect` lookup, cached for
/// `addressCacheLifetime`, 1 s like PHP) or from a fixed list; commands for one client go straight to
/// the gateway named in its client_id. Unlike PHP's GatewayClient, which opens a connection per call,
/// the client keeps one connection per gateway (opened on first use, reopened after a failure) and
/// pipelines commands and queries on it, with the CMD_GATEWAY_CLIENT_CONNECT prefix before each when a
/// secret is set. Commands return at once; `gateway.flush()` waits for them and reports a delivery
/// failure. The client runs on one SwiftNIO event loop: `eventLoopGroup.next()` (an application's group)
/// or a one-thread group of its own, until `shutdown()`.
///
/// `GatewayClient` is a swift-service-lifecycle `Service`: in a `ServiceGroup`, `run()` keeps it alive
/// and, on graceful shutdown, writes the commands already issued before closing its connections.
public final class GatewayClient: Service, Sendable {
    /// Where the gateways are and how to talk to them.
    public struct Configuration: Sendable {
        /// Register addresses (`a.b.c.d:port`), tried in order until one accepts the connection.
        public var registerAddresses: [String]
        /// Fixed gateway inner addresses instead of a Register.
        public var gatewayAddresses: [String]?
        /// The cluster's `secretKey`; when set, every request is preceded by CMD_GATEWAY_CLIENT_CONNECT.
        public var secretKey: String
        /// How long a query (or Register lookup) waits for its reply (PHP: 5 s).
        public var queryTimeout: Duration = .seconds(5)
        /// How long a Register's gateway list is reused (PHP: about 1 s).
        public var addressCacheLifetime: Duration = .seconds(1)
        /// Where failures are logged.
        public var logger: Logger

        public init(
            registerAddresses: [String] = ["127.0.0.1:1236"], gatewayAddresses: [String]? = nil,
            secretKey: String = "", logger: Logger = Logger(label: "RingGateWorkerKit.GatewayClient")
        ) {
            self.registerAddresses = registerAddresses
            self.gatewayAddresses = gatewayAddresses
            self.secretKey = secretKey
            self.logger = logger
        }
    }

    /// The `Lib\Gateway` API.
    public let gateway: Gateway
    private let loop: KitLoop

    /// A client, usable at once (on `eventLoopGroup.next()`, or a thread of its own when nil). Nothing
    /// connects before the first call.
    public init(configuration: Configuration, eventLoopGroup: (any EventLoopGroup)? = nil) throws(GatewayKitError) {
        for address in configuration.gatewayAddresses ?? configuration.registerAddresses
        where IPv4Endpoint(parsing: address) == nil {
            throw .invalidAddress(address)
        }
        loop = KitLoop(name: "GatewayClient", logger: configuration.logger, group: eventLoopGroup)
        gateway = Gateway(router: ClientCore(configuration: configuration, loop: loop), logger: configuration.logger)
    }

    /// Returns once the client was shut down: by `shutdown()`, by cancelling the calling task, or by a
    /// `ServiceGroup`'s graceful shutdown (which first waits, like `gateway.flush()`, for the commands
    /// issued so far to be written).
    public func run() async {
        let (loop, gateway) = (loop, gateway)
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await loop.waitUntilStopped()
            } onGracefulShutdown: {
                Task {
                    try? await gateway.flush()
                    loop.requestStop()
                }
            }
        } onCancel: {
            loop.requestStop()
        }
    }

    /// Closes the connections, fails pending queries with `.shutdown` and stops the client's own thread
    /// (if it has one).
    public func shutdown() async {
        loop.requestStop()
        await loop.waitUntilStopped()
    }
}
