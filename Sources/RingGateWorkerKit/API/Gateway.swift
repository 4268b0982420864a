import Logging
import RingGateCodecs

/// GatewayWorker's `Lib\Gateway` API (spec §4.10): send to clients, uids and groups, manage sessions,
/// uids and groups, and query the gateways.
///
/// Get one from `BusinessWorker.gateway` (commands travel on the worker connections, exactly like a
/// PHP BusinessWorker) or `GatewayClient.gateway` (for any Swift program, like PHP's GatewayClient).
///
/// - Commands (`sendToClient`, `bindUid`, `joinGroup`, …) are fire-and-forget, as in PHP: they queue
///   the packet and return at once, from any thread. Called from a `BusinessWorkerHandler` (the
///   worker's loop thread) they are encoded straight into the connection's output and written with
///   the other replies of the same loop turn. A command for a gateway the worker has no connection to
///   is dropped (PHP returns false); the kit counts it in `statistics`. `flush()` waits until
///   everything queued so far was written.
/// - Queries (`isOnline`, `getAllClientIdList`, …) are `async`: they go to every gateway in parallel
///   over separate query connections and merge the replies exactly as PHP does. A gateway that does
///   not answer within the query timeout (5 s) makes the query throw `.timeout`.
public final class Gateway: Sendable {
    let bound: LoopBound<any GatewayRouter>
    let logger: Logger

    init(router: any GatewayRouter, logger: Logger) {
        self.bound = LoopBound(router, loop: router.loop)
        self.logger = logger
    }

    var loop: KitLoop { bound.loop }

    // MARK: Sending

    /// `sendToClient`: sends `message` to one client (CMD_SEND_TO_ONE). `raw`: the gateway writes the
    /// bytes as they are, without the client protocol's framing.
    public func sendToClient(_ clientID: GatewayClientID, _ message: some GatewayMessage, raw: Bool = false) {
        clientCommand(clientID) { buffer throws(GatewayKitError) in
            try GatewayRequest.append(
                .sendToOne, connectionID: clientID.connectionID, flags: GatewayRequest.messageFlags(raw: raw),
                body: message, to: &buffer)
        }
    }

    /// `sendToAll`: sends `message` to every client of every gateway, or only to `clientIDs` when given
    /// (an empty list sends nothing), skipping `exclude` (CMD_SEND_TO_ALL).
    public func sendToAll(
        _ message: some GatewayMessage, clientIDs: [GatewayClientID]? = nil, exclude: [GatewayClientID] = [],
        raw: Bool = false
    ) {
        let body = bytes(of: message)
        let flags = GatewayRequest.messageFlags(raw: raw)
        if let clientIDs {
            let excluded = Set(exclude)
            let byGateway = Self.connectionIDsByGateway(clientIDs.filter { !excluded.contains($0) })
            guard !byGateway.isEmpty else { return }
            let broadcast = GatewayBroadcast(
                targets: .only(byGateway.map(\.endpoint)), command: .sendToAll, flags: flags, body: body,
                extByGateway: Dictionary(
                    uniqueKeysWithValues: byGateway.map { ($0.endpoint, GatewayRequest.connectionsExt($0.ids)) }))
            return deliver(broadcast)
        }
        let excludedByGateway = Self.connectionIDsByGateway(exclude)
        deliver(
            GatewayBroadcast(
                targets: .everyGateway, command: .sendToAll, flags: flags, body: body,
                extByGateway: Dictionary(
                    uniqueKeysWithValues: excludedByGateway.map { ($0.endpoint, GatewayRequest.excludeExt($0.ids)) })))
    }

    /// `sendToUid`: sends `message` to every client bound to `uid` (CMD_SEND_TO_UID).
    public func sendToUid(_ uid: GatewayID, _ message: some GatewayMessage, raw: Bool = false) {
        sendToUid([uid], message, raw: raw)
    }

    /// `sendToUid`: sends `message` to every client bound to any of `uids`; a uid listed twice
    /// receives it twice, like PHP.
    public func sendToUid(_ uids: [GatewayID], _ message: some GatewayMessage, raw: Bool = false) {
        deliver(
            GatewayBroadcast(
                targets: .everyGateway, command: .sendToUID, flags: GatewayRequest.messageFlags(raw: raw),
                body: bytes(of: message), defaultExt: GatewayRequest.idList(uids)))
    }

    /// `sendToGroup`: sends `message` to the members of `group`, except `exclude`.
    public func sendToGroup(
        _ group: GatewayID, _ message: some GatewayMessage, exclude: [GatewayClientID] = [], raw: Bool = false
    ) {
        guard isValidGroup(group) else { return }
        sendToGroup([group], message, exclude: exclude, raw: raw)
    }

    /// `sendToGroup`: sends `message` to the members of every group in `groups` (a client in two of them
    /// receives it twice, like PHP), except `exclude`.
    public func sendToGroup(
        _ groups: [GatewayID], _ message: some GatewayMessage, exclude: [GatewayClientID] = [], raw: Bool = false
    ) {
        guard !groups.isEmpty else { return logInvalidGroup("[]") }
        let excludedByGateway = Self.connectionIDsByGateway(exclude)
        deliver(
            GatewayBroadcast(
                targets: .everyGateway, command: .sendToGroup, flags: GatewayRequest.messageFlags(raw: raw),
                body: bytes(of: message), defaultExt: GatewayRequest.groupExt(groups, exclude: nil),
                extByGateway: Dictionary(
                    uniqueKeysWithValues: excludedByGateway.map {
                        ($0.endpoint, GatewayRequest.groupExt(groups, exclude: $0.ids))
                    })))
    }

    // MARK: Connection control

    /// `closeClient`: closes the client gracefully (CMD_KICK with body `N;`).
    public func closeClient(_ clientID: GatewayClientID) {
        clientCommand(clientID) { buffer throws(GatewayKitError) in
            try GatewayRequest.kick(connectionID: clientID.connectionID, message: String?.none, to: &buffer)
        }
    }

    /// `closeClient`: sends `message` (through the client protocol's framing), then closes gracefully.
    public func closeClient(_ clientID: GatewayClientID, message: some GatewayMessage) {
        clientCommand(clientID) { buffer throws(GatewayKitError) in
            try GatewayRequest.kick(connectionID: clientID.connectionID, message: message, to: &buffer)
        }
    }

    /// `destoryClient` (sic): closes the client at once, dropping its queued output (CMD_DESTROY).
    public func destroyClient(_ clientID: GatewayClientID) {
        clientCommand(clientID) { buffer throws(GatewayKitError) in
            try GatewayRequest.append(.destroy, connectionID: clientID.connectionID, to: &buffer)
        }
    }

    // MARK: uids and groups

    /// `bindUid`: binds the client to `uid` (a client has at most one; `""`/`"0"` are refused by the
    /// gateway).
    public func bindUid(_ clientID: GatewayClientID, _ uid: GatewayID) {
        clientIDCommand(.bindUID, clientID, ext: uid.description)
    }

    /// `unbindUid`: removes the client's uid binding (the gateway ignores `uid`, like PHP).
    public func unbindUid(_ clientID: GatewayClientID, _ uid: GatewayID) {
        clientIDCommand(.unbindUID, clientID, ext: uid.description)
    }

    /// `joinGroup`: adds the client to `group`.
    public func joinGroup(_ clientID: GatewayClientID, _ group: GatewayID) {
        clientIDCommand(.joinGroup, clientID, ext: group.description)
    }

    /// `leaveGroup`: removes the client from `group`.
    public func leaveGroup(_ clientID: GatewayClientID, _ group: GatewayID) {
        clientIDCommand(.leaveGroup, clientID, ext: group.description)
    }

    /// `ungroup`: dissolves `group` on every gateway (CMD_UNGROUP).
    public func ungroup(_ group: GatewayID) {
        guard isValidGroup(group) else { return }
        deliver(
            GatewayBroadcast(
                targets: .everyGateway, command: .ungroup, flags: .bodyIsScalar, body: [],
                defaultExt: Array(group.description.utf8)))
    }

    // MARK: Sessions

    /// `setSession`: replaces the client's session (CMD_SET_SESSION with the serialized array).
    ///
    /// Inside a handler, change `context.session` for the current client instead: the worker writes it
    /// back after the handler, and a separate `setSession` for the same client would be overwritten.
    public func setSession(_ clientID: GatewayClientID, _ session: PHPArray) {
        clientIDCommand(.setSession, clientID, ext: PHPSerializer.serialize(.array(session)))
    }

    /// `updateSession`: merges `partial` into the client's session on the gateway
    /// (`array_replace_recursive`, CMD_UPDATE_SESSION).
    public func updateSession(_ clientID: GatewayClientID, _ partial: PHPArray) {
        clientIDCommand(.updateSession, clientID, ext: PHPSerializer.serialize(.array(partial)))
    }

    // MARK: Flushing

    /// Waits until every command issued before this call was written to its connection. For a
    /// `GatewayClient`, throws the first delivery failure (connection refused, …) since the previous
    /// `flush()`; a worker drops commands silently, like PHP, and only counts them.
    public func flush() async throws(GatewayKitError) {
        let result: Result<Void, GatewayKitError> = await withCheckedContinuation { continuation in
            loop.execute(
                { [bound] in
                    let router = bound.value
                    router.withTargets(.none) { _ in
                        let connections = router.commandConnections
                        var remaining = connections.count + 1
                        let finish = {
                            remaining -= 1
                            guard remaining == 0 else { return }
                            if let failure = router.takeCommandFailure() {
                                continuation.resume(returning: .failure(failure))
                            } else {
                                continuation.resume(returning: .success(()))
                            }
                        }
                        for connection in connections { connection.whenFlushed { _ in finish() } }
                        finish()
                    }
                }, ifStopped: { continuation.resume(returning: .failure(.shutdown)) })
        }
        try result.get()
    }

    /// The counters of the worker or client this gateway belongs to.
    public func statistics() async -> WorkerKitStatistics {
        await withCheckedContinuation { continuation in
            loop.execute(
                { [bound] in
                    var statistics = bound.value.statistics
                    statistics.queryTimeouts = bound.value.queryPool.timeoutCount
                    continuation.resume(returning: statistics)
                }, ifStopped: { continuation.resume(returning: WorkerKitStatistics()) })
        }
    }

    // MARK: Plumbing

    /// A command for one client, written on the connection to the client's gateway.
    ///
    /// On the loop thread of a worker it is encoded straight into that connection's output (no
    /// allocation); elsewhere it is encoded here and handed to the loop.
    func clientCommand(_ clientID: GatewayClientID, _ encode: (inout [UInt8]) throws(GatewayKitError) -> Void) {
        let endpoint = IPv4Endpoint(clientID)
        if loop.isCurrent {
            let router = bound.value
            if router.routesImmediately { return router.sendCommand(to: endpoint, encode) }
        }
        var packet: [UInt8] = []
        do {
            try encode(&packet)
        } catch {
            logger.error("command not sent", metadata: ["error": "\(error)"])
            return
        }
        loop.execute { [bound, packet] in
            let router = bound.value
            router.withTargets(.none) { _ in
                router.sendCommand(to: endpoint) { buffer in buffer.append(contentsOf: packet) }
            }
        }
    }

    /// A client command whose ext_data PHP writes only when not `empty()` and whose body is empty.
    private func clientIDCommand(_ command: GatewayCommand, _ clientID: GatewayClientID, ext: String) {
        clientCommand(clientID) { buffer throws(GatewayKitError) in
            try GatewayRequest.clientCommand(command, connectionID: clientID.connectionID, ext: ext, to: &buffer)
        }
    }

    private func clientIDCommand(_ command: GatewayCommand, _ clientID: GatewayClientID, ext: [UInt8]) {
        clientCommand(clientID) { buffer throws(GatewayKitError) in
            try GatewayRequest.clientCommand(command, connectionID: clientID.connectionID, ext: ext, to: &buffer)
        }
    }

    /// Writes a broadcast on the loop: at once on a worker's loop thread, else through a job.
    func deliver(_ broadcast: GatewayBroadcast) {
        if loop.isCurrent {
            let router = bound.value
            if router.routesImmediately { return broadcast.deliver(through: router) }
        }
        loop.execute { [bound] in
            let router = bound.value
            broadcast.deliver(through: router)
        }
    }

    private func bytes(of message: some GatewayMessage) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(message.gatewayByteCount)
        message.appendGatewayBytes(to: &body)
        return body
    }

    /// PHP's `isValidGroupId`: `empty($group)` is refused with an error print.
    func isValidGroup(_ group: GatewayID) -> Bool {
        guard group.isPHPEmpty else { return true }
        logInvalidGroup(group.description)
        return false
    }

    private func logInvalidGroup(_ text: String) {
        logger.error("group(\(text)) empty")
    }

    /// Client ids grouped by gateway (first appearance order), each gateway's connection ids once.
    static func connectionIDsByGateway(_ clientIDs: [GatewayClientID]) -> [(endpoint: IPv4Endpoint, ids: [UInt32])] {
        var order: [IPv4Endpoint] = []
        var ids: [IPv4Endpoint: [UInt32]] = [:]
        for clientID in clientIDs {
            let endpoint = IPv4Endpoint(clientID)
            if ids[endpoint] == nil { order.append(endpoint) }
            if !ids[endpoint, default: []].contains(clientID.connectionID) {
                ids[endpoint, default: []].append(clientID.connectionID)
            }
        }
        return order.map { ($0, ids[$0]!) }
    }
}

/// One command for several gateways, with the ext_data each gets.
struct GatewayBroadcast: Sendable {
    enum Targets: Sendable {
        /// Every gateway the router broadcasts to.
        case everyGateway
        /// Only these (each dropped like a single-client command when unreachable).
        case only([IPv4Endpoint])
    }

    var targets: Targets
    var command: GatewayCommand
    var flags: GatewayFlags
    var body: [UInt8]
    var defaultExt: [UInt8] = []
    var extByGateway: [IPv4Endpoint: [UInt8]] = [:]

    /// Writes the command to every target (loop thread).
    func deliver(through router: any GatewayRouter) {
        let kind: TargetKind
        switch targets {
        case .everyGateway: kind = .broadcast
        case .only: kind = .none
        }
        router.withTargets(kind) { result in
            let endpoints: [IPv4Endpoint]
            switch (targets, result) {
            case (.only(let listed), _): endpoints = listed
            case (.everyGateway, .success(let all)): endpoints = all
            case (.everyGateway, .failure): return  // counted and logged by the router
            }
            for endpoint in endpoints {
                router.sendCommand(to: endpoint) { buffer throws(GatewayKitError) in
                    try GatewayRequest.append(
                        command, flags: flags, ext: extByGateway[endpoint] ?? defaultExt, body: body, to: &buffer)
                }
            }
        }
    }
}
