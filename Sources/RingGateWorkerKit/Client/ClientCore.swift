import Logging

/// A `GatewayClient`'s state on its loop thread: the gateway list (fixed, or looked up at a Register
/// and cached for `addressCacheLifetime`) and the `GatewayRouter` side of its `Gateway`.
///
/// Commands travel on the same per-gateway connections as queries, each prefixed with
/// CMD_GATEWAY_CLIENT_CONNECT when a secret is set (what PHP's GatewayClient writes, on a connection it
/// keeps instead of opening one per call). While a Register lookup is in flight every later command
/// waits behind it, so commands reach each gateway in the order they were issued.
final class ClientCore: GatewayRouter {
    let configuration: GatewayClient.Configuration
    let loop: KitLoop
    let logger: Logger
    let queryPool: QueryPool
    var statistics = WorkerKitStatistics()
    let routesImmediately = false
    private let fixed: [IPv4Endpoint]?
    private let registers: [IPv4Endpoint]
    private var cached: (addresses: [IPv4Endpoint], fetchedAt: ContinuousClock.Instant)?
    private var waiting: [(kind: TargetKind, body: (Result<[IPv4Endpoint], GatewayKitError>) -> Void)] = []
    private var lookupInFlight = false
    private var failsWaitersOnStop = false
    private var commandFailure: GatewayKitError?

    init(configuration: GatewayClient.Configuration, loop: KitLoop) {
        self.configuration = configuration
        self.loop = loop
        self.logger = configuration.logger
        self.queryPool = QueryPool(loop: loop, secretKey: configuration.secretKey, timeout: configuration.queryTimeout)
        self.fixed = configuration.gatewayAddresses.map { $0.compactMap(IPv4Endpoint.init(parsing:)) }
        self.registers = configuration.registerAddresses.compactMap(IPv4Endpoint.init(parsing:))
        queryPool.onLostCommands = { [unowned self] endpoint, reason in
            statistics.commandsLost += 1
            let error: GatewayKitError =
                if case .connectFailed(let code) = reason {
                    .connectFailed(address: endpoint.description, errno: code)
                } else {
                    .connectionClosed(address: endpoint.description)
                }
            logger.error("commands lost", metadata: ["gateway": "\(endpoint)", "error": "\(error)"])
            if commandFailure == nil { commandFailure = error }
        }
    }

    func withTargets(_ kind: TargetKind, _ body: @escaping (Result<[IPv4Endpoint], GatewayKitError>) -> Void) {
        if let fixed {
            if kind == .none { return body(.success([])) }
            return body(fixed.isEmpty ? .failure(.noGatewayAddresses) : .success(fixed))
        }
        if waiting.isEmpty {
            if kind == .none { return body(.success([])) }
            if let cached, loop.now - cached.fetchedAt <= configuration.addressCacheLifetime {
                return body(.success(cached.addresses))
            }
        }
        waiting.append((kind, body))
        guard !lookupInFlight else { return }
        lookupInFlight = true
        if !failsWaitersOnStop {
            failsWaitersOnStop = true
            loop.onStop { [self] in
                let stranded = waiting
                waiting.removeAll()
                for item in stranded { item.body(.failure(.shutdown)) }
            }
        }
        RegisterLookup.run(
            loop: loop, registers: registers, secretKey: configuration.secretKey, timeout: configuration.queryTimeout
        ) { [self] result in lookupFinished(result) }
    }

    private func lookupFinished(_ result: Result<[String], GatewayKitError>) {
        lookupInFlight = false
        let addresses = result.flatMap { list -> Result<[IPv4Endpoint], GatewayKitError> in
            let endpoints = list.compactMap(IPv4Endpoint.init(parsing:))
            return endpoints.isEmpty ? .failure(.noGatewayAddresses) : .success(endpoints)
        }
        switch addresses {
        case .success(let endpoints): cached = (endpoints, loop.now)
        case .failure(let error):
            logger.error("Register lookup failed", metadata: ["error": "\(error)"])
            if commandFailure == nil && waiting.contains(where: { $0.kind == .broadcast }) { commandFailure = error }
        }
        let ready = waiting
        waiting.removeAll()
        for item in ready { item.body(item.kind == .none ? .success([]) : addresses) }
    }

    func sendCommand(to endpoint: IPv4Endpoint, _ encode: (inout [UInt8]) throws(GatewayKitError) -> Void) {
        do {
            try queryPool.connection(to: endpoint).write(encode)
        } catch {
            statistics.commandsTooLarge += 1
            logger.error("command not sent", metadata: ["gateway": "\(endpoint)", "error": "\(error)"])
        }
    }

    func canQuery(_ endpoint: IPv4Endpoint) -> Bool { true }

    var commandConnections: [LoopConnection] { queryPool.activeConnections }

    func takeCommandFailure() -> GatewayKitError? {
        defer { commandFailure = nil }
        return commandFailure
    }
}
