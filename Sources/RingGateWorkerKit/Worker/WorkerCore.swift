import Logging
import RingGateCodecs

/// A `BusinessWorker`'s state on its loop thread: the Register connections, the gateway list, one
/// worker connection per listed gateway, event dispatch to the handler, and the `GatewayRouter` side
/// of its `Gateway`.
///
/// Connection management follows PHP's BusinessWorker (spec §5.6, §6): each `broadcast_addresses`
/// replaces the list; every listed address without a connection gets one (unless a reconnect is
/// already scheduled); a worker connection that closes while its address is still listed is
/// reconnected after `reconnectDelay`; an address that disappears is not disconnected, just not
/// reconnected. Register connections are reconnected `reconnectDelay` after any close.
final class WorkerCore: GatewayRouter {
    let configuration: BusinessWorker.Configuration
    let loop: KitLoop
    let logger: Logger
    let queryPool: QueryPool
    var statistics = WorkerKitStatistics()
    let routesImmediately = true
    /// Set by `BusinessWorker.init`; released when the loop stops.
    var gateway: Gateway!
    private let handler: any BusinessWorkerHandler

    /// The latest gateway list, in Register order (PHP `_gatewayAddresses`): queries go here.
    private(set) var gatewayList: [IPv4Endpoint] = []
    private var listed: Set<IPv4Endpoint> = []
    /// Worker connections, connecting or open, by gateway.
    private var links: [IPv4Endpoint: GatewayLink] = [:]
    /// Open worker connections in the order they opened (PHP `gatewayConnections`): broadcasts go here.
    private var openLinks: [GatewayLink] = []
    private var waitingReconnect: Set<IPv4Endpoint> = []
    /// When each open gateway link opened (a quick reconnect needs a link that served a while).
    private var openedAt: [ObjectIdentifier: ContinuousClock.Instant] = [:]
    static let establishedLinkAge: Duration = .seconds(1)
    static let quickReconnectDelay: Duration = .milliseconds(50)

    init(configuration: BusinessWorker.Configuration, loop: KitLoop, handler: sending any BusinessWorkerHandler) {
        self.configuration = configuration
        self.loop = loop
        self.logger = configuration.logger
        self.handler = handler
        self.queryPool = QueryPool(loop: loop, secretKey: configuration.secretKey, timeout: configuration.queryTimeout)
    }

    /// Connects to the Registers (or the fixed gateways). Runs on the loop thread once it started.
    func start() {
        loop.onStop { [self] in gateway = nil }
        if let fixed = configuration.gatewayAddresses {
            updateGatewayAddresses(fixed)
        } else {
            for address in configuration.registerAddresses { connectRegister(address) }
        }
    }

    /// The current gateway list as strings.
    var gatewayAddressStrings: [String] { gatewayList.map(\.description) }

    // MARK: Register

    private func connectRegister(_ address: String) {
        guard let endpoint = IPv4Endpoint(parsing: address) else { return }  // validated by BusinessWorker
        RegisterLink(core: self, endpoint: endpoint, address: address).start(keepAlive: true)
    }

    func registerSent(_ line: RegisterLine, from link: RegisterLink) {
        guard case .message(.broadcastAddresses(let list)) = line else {
            logger.warning("Received bad data from Register", metadata: ["register": "\(link.address)"])
            return
        }
        statistics.registerBroadcasts += 1
        updateGatewayAddresses(list.addresses)
    }

    func registerLinkDidClose(_ link: RegisterLink, reason: CloseReason) {
        guard reason != .shutdown else { return }
        logger.info(
            "Register connection closed, reconnecting",
            metadata: ["register": "\(link.address)", "reason": "\(reason)"])
        let address = link.address
        loop.schedule(after: configuration.reconnectDelay) { [weak self] in self?.connectRegister(address) }
    }

    // MARK: Gateways

    /// Replaces the gateway list and connects to every listed gateway not yet connected.
    func updateGatewayAddresses(_ addresses: [String]) {
        var list: [IPv4Endpoint] = []
        var seen: Set<IPv4Endpoint> = []
        for text in addresses {
            guard let endpoint = IPv4Endpoint(parsing: text) else {
                logger.warning("ignoring a gateway address that is not a.b.c.d:port", metadata: ["address": "\(text)"])
                continue
            }
            if seen.insert(endpoint).inserted { list.append(endpoint) }
        }
        gatewayList = list
        listed = seen
        for endpoint in list where !waitingReconnect.contains(endpoint) { connectGateway(endpoint) }
    }

    private func connectGateway(_ endpoint: IPv4Endpoint) {
        guard links[endpoint] == nil, listed.contains(endpoint) else { return }
        let link = GatewayLink(core: self, endpoint: endpoint)
        GatewayRequest.workerConnect(
            workerKey: configuration.workerKey, secretKey: configuration.secretKey, to: &link.outbound)
        links[endpoint] = link
        link.start(keepAlive: true)
    }

    func linkDidOpen(_ link: GatewayLink) {
        statistics.gatewayConnects += 1
        openLinks.append(link)
        openedAt[ObjectIdentifier(link)] = loop.now
        logger.info("connected to gateway", metadata: ["gateway": "\(link.endpoint)"])
    }

    func linkDidClose(_ link: GatewayLink, reason: CloseReason) {
        let endpoint = link.endpoint
        if links[endpoint] === link { links[endpoint] = nil }
        openLinks.removeAll { $0 === link }
        statistics.gatewayDisconnects += 1
        logger.info("gateway connection closed", metadata: ["gateway": "\(endpoint)", "reason": "\(reason)"])
        let opened = openedAt.removeValue(forKey: ObjectIdentifier(link))
        guard reason != .shutdown, listed.contains(endpoint), !waitingReconnect.contains(endpoint) else { return }
        waitingReconnect.insert(endpoint)
        // A gateway that ends a link that served a while does so on purpose — `ringgate upgrade` hands its
        // clients to a new process on the same address, whose buffered events wait for us — so the first
        // attempt is soon. A link closed soon after it opened (refused, a bad secret) waits the full delay.
        let deliberate = reason == .peerClosed && opened.map { loop.now - $0 >= Self.establishedLinkAge } ?? false
        let delay =
            deliberate ? min(configuration.reconnectDelay, Self.quickReconnectDelay) : configuration.reconnectDelay
        loop.schedule(after: delay) { [weak self] in
            guard let self else { return }
            waitingReconnect.remove(endpoint)
            connectGateway(endpoint)
        }
    }

    // MARK: Events

    /// Runs the handler for one event from `link`, then writes the session back if it changed.
    func handle(_ event: WorkerEvent, on link: GatewayLink) {
        statistics.eventsReceived += 1
        switch event.kind {
        case .ping:
            return
        case .unknown(let command):
            statistics.unknownCommands += 1
            logger.warning(
                "unknown command from gateway", metadata: ["gateway": "\(link.endpoint)", "cmd": "\(command)"])
            return
        case .undecodableMessage:
            statistics.undecodableMessages += 1
            logger.warning("message body does not unserialize to a string", metadata: ["gateway": "\(link.endpoint)"])
            return
        default:
            break
        }
        let connectionID = event.header.connectionID
        let isClose = event.kind == .close
        var session = event.session
        if !link.pendingSessions.isEmpty, let pending = link.pendingSessions[connectionID] {
            if pending.stale.contains(session) {
                session = pending.latest  // sent before the gateway applied our write
                statistics.staleSessionsReplaced += 1
            } else {
                link.pendingSessions[connectionID] = nil  // our write landed, or someone wrote after it
            }
            if isClose { link.pendingSessions[connectionID] = nil }
        }
        var context = WorkerContext(header: event.header, session: session, link: link, gateway: gateway)
        switch event.kind {
        case .connect: handler.onConnect(&context)
        case .message(let message): handler.onMessage(&context, message: message)
        case .close: handler.onClose(&context)
        case .webSocketConnect(let request): handler.onWebSocketConnect(&context, request: request)
        default: break
        }
        guard !isClose, let written = context.changedSession() else { return }
        link.sendCommand { buffer throws(GatewayKitError) in
            try GatewayRequest.clientCommand(.setSession, connectionID: connectionID, ext: written, to: &buffer)
        }
        guard link.phase == .open else { return }
        var pending = link.pendingSessions[connectionID] ?? PendingSessionWrite(latest: event.session, stale: [])
        pending.stale.append(pending.latest)
        pending.stale.removeAll { $0 == written }
        if pending.stale.count > PendingSessionWrite.staleLimit {
            pending.stale.removeFirst(pending.stale.count - PendingSessionWrite.staleLimit)
        }
        pending.latest = written
        link.pendingSessions[connectionID] = pending
    }

    // MARK: GatewayRouter

    func withTargets(_ kind: TargetKind, _ body: @escaping (Result<[IPv4Endpoint], GatewayKitError>) -> Void) {
        switch kind {
        case .none: body(.success([]))
        case .broadcast: body(.success(openLinks.map(\.endpoint)))
        case .query: body(gatewayList.isEmpty ? .failure(.noGatewayAddresses) : .success(gatewayList))
        }
    }

    func sendCommand(to endpoint: IPv4Endpoint, _ encode: (inout [UInt8]) throws(GatewayKitError) -> Void) {
        guard let link = links[endpoint] else {
            statistics.commandsDroppedNoConnection += 1
            return
        }
        link.sendCommand(encode)
    }

    func canQuery(_ endpoint: IPv4Endpoint) -> Bool {
        links[endpoint]?.phase == .open
    }

    var commandConnections: [LoopConnection] { openLinks }

    func takeCommandFailure() -> GatewayKitError? { nil }
}
