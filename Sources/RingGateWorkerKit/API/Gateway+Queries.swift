import RingGateCodecs

/// Conditions of `Gateway.select`: a client matches if it is in any listed group, bound to any listed
/// uid, or is one of the listed clients (a union, spec §4.9). All nil: every client.
public struct GatewaySelectCondition: Sendable {
    /// Members of these groups.
    public var groups: [GatewayID]?
    /// Clients bound to these uids.
    public var uids: [GatewayID]?
    /// These clients (only their gateways are asked when nothing else is set).
    public var clientIDs: [GatewayClientID]?

    public init(groups: [GatewayID]? = nil, uids: [GatewayID]? = nil, clientIDs: [GatewayClientID]? = nil) {
        self.groups = groups
        self.uids = uids
        self.clientIDs = clientIDs
    }
}

extension Gateway {
    /// Which gateways a query asks.
    enum QueryPlan: Sendable {
        /// One gateway; `requiresLink`: a worker answers "no" without asking when it has no worker
        /// connection there.
        case one(IPv4Endpoint, [UInt8], requiresLink: Bool)
        /// Every gateway, the same request.
        case every([UInt8])
        /// Specific requests per gateway, plus `others` for every remaining gateway when set.
        case specific([(endpoint: IPv4Endpoint, packet: [UInt8])], others: [UInt8]?)
    }

    /// Runs a query on the loop and returns the merged replies (nil: not asked, see `.one`).
    func query(_ plan: QueryPlan) async throws(GatewayKitError) -> GatewayReplies? {
        let result: Result<[(endpoint: IPv4Endpoint, payload: [UInt8])]?, GatewayKitError> =
            await withCheckedContinuation { continuation in
                loop.execute(
                    { [bound] in
                        let router = bound.value
                        let kind: TargetKind
                        switch plan {
                        case .every, .specific(_, others: .some): kind = .query
                        case .one, .specific(_, others: .none): kind = .none
                        }
                        router.withTargets(kind) { targets in
                            var requests: [(endpoint: IPv4Endpoint, packet: [UInt8])]
                            switch (plan, targets) {
                            case (.one(let endpoint, let packet, let requiresLink), _):
                                guard !requiresLink || router.canQuery(endpoint) else {
                                    return continuation.resume(returning: .success(nil))
                                }
                                requests = [(endpoint, packet)]
                            case (_, .failure(let error)) where kind == .query:
                                return continuation.resume(returning: .failure(error))
                            case (.every(let packet), .success(let all)):
                                requests = all.map { ($0, packet) }
                            case (.specific(let specific, let others), let targets):
                                requests = specific
                                if let others, case .success(let all) = targets {
                                    let asked = Set(specific.map(\.endpoint))
                                    requests += all.filter { !asked.contains($0) }.map { ($0, others) }
                                }
                            case (.every, .failure(let error)):
                                return continuation.resume(returning: .failure(error))
                            }
                            guard !requests.isEmpty else { return continuation.resume(returning: .success([])) }
                            router.queryPool.run(requests) { result in
                                continuation.resume(returning: result.map { Optional($0) })
                            }
                        }
                    }, ifStopped: { continuation.resume(returning: .failure(.shutdown)) })
            }
        return try result.get().map(GatewayReplies.init)
    }

    /// One request packet (queries carry no body).
    func request(
        _ command: GatewayCommand, connectionID: UInt32 = 0, ext: some GatewayMessage = [UInt8]()
    ) throws(GatewayKitError) -> [UInt8] {
        var packet: [UInt8] = []
        try GatewayRequest.append(command, connectionID: connectionID, ext: ext, to: &packet)
        return packet
    }

    /// Every gateway's replies to `request`.
    func queryAll(_ command: GatewayCommand, ext: some GatewayMessage = [UInt8]()) async throws(GatewayKitError)
        -> GatewayReplies
    {
        try await query(.every(request(command, ext: ext))) ?? GatewayReplies([])
    }

    // MARK: One client

    /// `isOnline`: whether the client is connected (CMD_IS_ONLINE to its gateway).
    public func isOnline(_ clientID: GatewayClientID) async throws(GatewayKitError) -> Bool {
        let packet = try request(.isOnline, connectionID: clientID.connectionID)
        guard let replies = try await query(.one(IPv4Endpoint(clientID), packet, requiresLink: true)) else {
            return false
        }
        return replies.entries.first?.value == .int(1)
    }

    /// `getSession`: the client's session; nil when the client is unknown (or the worker has no
    /// connection to its gateway), empty when it has none.
    public func getSession(_ clientID: GatewayClientID) async throws(GatewayKitError) -> PHPArray? {
        let packet = try request(.getSessionByClientID, connectionID: clientID.connectionID)
        guard let replies = try await query(.one(IPv4Endpoint(clientID), packet, requiresLink: true)) else {
            return nil
        }
        return replies.entries.first?.value?.arrayValue
    }

    /// `getUidByClientId`: the uid the client is bound to, or nil.
    public func getUidByClientId(_ clientID: GatewayClientID) async throws(GatewayKitError) -> String? {
        try await selectReplies(fields: ["uid"], where: GatewaySelectCondition(clientIDs: [clientID])).firstUID()
    }

    // MARK: Counts and lists

    /// `getAllClientIdCount` (`getAllClientCount`): clients on every gateway.
    public func getAllClientIdCount() async throws(GatewayKitError) -> Int {
        try await getClientIdCountByGroup("")
    }

    /// `getClientIdCountByGroup` (`getClientCountByGroup`): members of `group`; `""` counts every client.
    public func getClientIdCountByGroup(_ group: GatewayID = "") async throws(GatewayKitError) -> Int {
        try await queryAll(.getClientCountByGroup, ext: group.description).count()
    }

    /// `batchGetClientIdCountByGroup` (GatewayClient): `[group: count]` for each of `groups`.
    public func batchGetClientIdCountByGroup(_ groups: [GatewayID]) async throws(GatewayKitError) -> [String: Int] {
        let replies = try await queryAll(.batchGetClientCountByGroup, ext: GatewayRequest.idList(groups))
        return Dictionary(uniqueKeysWithValues: replies.batchCounts().map { ($0.key, $0.count) })
    }

    /// `getAllClientIdList`: every client id, once.
    public func getAllClientIdList() async throws(GatewayKitError) -> [GatewayClientID] {
        try await selectReplies(fields: ["uid"], where: GatewaySelectCondition()).selectedClientIDs()
    }

    /// `getClientIdListByGroup`: the members of `group`.
    public func getClientIdListByGroup(_ group: GatewayID) async throws(GatewayKitError) -> [GatewayClientID] {
        guard isValidGroup(group) else { return [] }
        return try await getClientIdListByGroup([group])
    }

    /// `getClientIdListByGroup`: the members of any of `groups`, once each.
    public func getClientIdListByGroup(_ groups: [GatewayID]) async throws(GatewayKitError) -> [GatewayClientID] {
        guard !groups.isEmpty else { return [] }
        return try await selectReplies(fields: ["uid"], where: GatewaySelectCondition(groups: groups))
            .selectedClientIDs()
    }

    /// `getClientIdByUid`: the clients bound to `uid`.
    public func getClientIdByUid(_ uid: GatewayID) async throws(GatewayKitError) -> [GatewayClientID] {
        try await queryAll(.getClientIDByUID, ext: uid.description).clientIDLists()
    }

    /// `isUidOnline`: whether any client is bound to `uid`.
    public func isUidOnline(_ uid: GatewayID) async throws(GatewayKitError) -> Bool {
        try await !getClientIdByUid(uid).isEmpty
    }

    /// `batchGetClientIdByUid` (GatewayClient): `[uid: client ids]` for each of `uids` (keys as PHP
    /// prints them: `"42"`).
    public func batchGetClientIdByUid(_ uids: [GatewayID]) async throws(GatewayKitError) -> [String: [GatewayClientID]]
    {
        let replies = try await queryAll(.batchGetClientIDByUID, ext: GatewayRequest.idList(uids))
        return Dictionary(uniqueKeysWithValues: replies.batchClientIDs().map { ($0.key, $0.clientIDs) })
    }

    /// `isUidsOnline` (GatewayClient): `[uid: online]` for each of `uids`.
    public func isUidsOnline(_ uids: [GatewayID]) async throws(GatewayKitError) -> [String: Bool] {
        try await batchGetClientIdByUid(uids).mapValues { !$0.isEmpty }
    }

    /// `getUidListByGroup`: the uids bound to members of `group`, once each.
    public func getUidListByGroup(_ group: GatewayID) async throws(GatewayKitError) -> [String] {
        guard isValidGroup(group) else { return [] }
        return try await getUidListByGroup([group])
    }

    /// `getUidListByGroup`: the uids bound to members of any of `groups`, once each.
    public func getUidListByGroup(_ groups: [GatewayID]) async throws(GatewayKitError) -> [String] {
        guard !groups.isEmpty else { return [] }
        return try await selectReplies(fields: ["uid"], where: GatewaySelectCondition(groups: groups)).selectedUIDs()
    }

    /// `getUidCountByGroup`: how many distinct uids the members of `group` have.
    public func getUidCountByGroup(_ group: GatewayID) async throws(GatewayKitError) -> Int {
        try await getUidListByGroup(group).count
    }

    /// `getAllUidList`: every bound uid, once.
    public func getAllUidList() async throws(GatewayKitError) -> [String] {
        try await selectReplies(fields: ["uid"], where: GatewaySelectCondition()).selectedUIDs()
    }

    /// `getAllUidCount`: how many distinct uids are bound.
    public func getAllUidCount() async throws(GatewayKitError) -> Int {
        try await getAllUidList().count
    }

    /// `getAllGroupIdList`: every group id, once (numeric ids as PHP prints them).
    public func getAllGroupIdList() async throws(GatewayKitError) -> [String] {
        try await queryAll(.getGroupIDList).groupIDs()
    }

    /// `getAllGroupUidList`: `[group: uids]`. Like PHP, each gateway's scan stops at its first client
    /// without a uid or without groups.
    public func getAllGroupUidList() async throws(GatewayKitError) -> [String: [String]] {
        let replies = try await selectReplies(fields: ["uid", "groups"], where: GatewaySelectCondition())
        return Dictionary(uniqueKeysWithValues: replies.groupUIDs().map { ($0.group, $0.uids) })
    }

    /// `getAllGroupUidCount`: `[group: number of distinct uids]`.
    public func getAllGroupUidCount() async throws(GatewayKitError) -> [String: Int] {
        try await getAllGroupUidList().mapValues(\.count)
    }

    /// `getAllGroupClientIdList`: `[group: client ids]`. Like PHP, each gateway's scan stops at its
    /// first client without groups.
    public func getAllGroupClientIdList() async throws(GatewayKitError) -> [String: [GatewayClientID]] {
        let replies = try await selectReplies(fields: ["groups"], where: GatewaySelectCondition())
        return Dictionary(uniqueKeysWithValues: replies.groupClientIDs().map { ($0.group, $0.clientIDs) })
    }

    /// `getAllGroupClientIdCount`: `[group: number of clients]`.
    public func getAllGroupClientIdCount() async throws(GatewayKitError) -> [String: Int] {
        try await getAllGroupClientIdList().mapValues(\.count)
    }

    // MARK: Sessions

    /// `getAllClientSessions`: every client's session, or (with `group`) the members' sessions.
    public func getAllClientSessions(group: GatewayID? = nil) async throws(GatewayKitError) -> [ClientSession] {
        if let group, !group.isPHPEmpty {
            return try await queryAll(.getClientSessionsByGroup, ext: group.description).sessions()
        }
        return try await queryAll(.getAllClientSessions).sessions()
    }

    /// `getClientSessionsByGroup`: the sessions of the members of `group`.
    public func getClientSessionsByGroup(_ group: GatewayID) async throws(GatewayKitError) -> [ClientSession] {
        guard isValidGroup(group) else { return [] }
        return try await getAllClientSessions(group: group)
    }

    // MARK: SELECT

    /// The `select` behind most list helpers (CMD_SELECT, spec §4.9): `fields` (`uid`, `groups`,
    /// `session`) of every client matching `conditions`, in PHP's order.
    public func select(
        fields: [String] = ["session", "uid", "groups"], where conditions: GatewaySelectCondition = .init()
    ) async throws(GatewayKitError) -> [SelectedClient] {
        try await selectReplies(fields: fields, where: conditions).selectedRows()
    }

    /// PHP's protected `select`: with client ids, each of their gateways gets its own
    /// `connection_id` map and, when other conditions exist, every other gateway gets them with an
    /// empty map; without, every gateway gets the same request.
    func selectReplies(fields: [String], where conditions: GatewaySelectCondition) async throws(GatewayKitError)
        -> GatewayReplies
    {
        var base: [(key: String, value: JSONValue)] = []
        if let groups = conditions.groups { base.append(("groups", .array(groups.map(\.json)))) }
        if let uids = conditions.uids { base.append(("uid", .array(uids.map(\.json)))) }
        guard let clientIDs = conditions.clientIDs else {
            return try await queryAll(.select, ext: GatewayRequest.selectExt(fields: fields, where: base))
        }
        var specific: [(endpoint: IPv4Endpoint, packet: [UInt8])] = []
        for (endpoint, ids) in Self.connectionIDsByGateway(clientIDs) {
            let ext = GatewayRequest.selectExt(
                fields: fields, where: base + [("connection_id", GatewayRequest.connectionMap(ids))])
            specific.append((endpoint, try request(.select, ext: ext)))
        }
        let others: [UInt8]? =
            base.isEmpty
            ? nil
            : try request(
                .select, ext: GatewayRequest.selectExt(fields: fields, where: base + [("connection_id", .array([]))]))
        return try await query(.specific(specific, others: others)) ?? GatewayReplies([])
    }
}
