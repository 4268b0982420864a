import RingGateCodecs

/// One client's session in a `getAllClientSessions` / `getClientSessionsByGroup` result.
public struct ClientSession: Hashable, Sendable {
    /// The client.
    public var clientID: GatewayClientID
    /// Its session: empty when none was set, nil when the stored bytes are not a serialized array
    /// (PHP would give `false`).
    public var session: PHPArray?

    public init(clientID: GatewayClientID, session: PHPArray?) {
        self.clientID = clientID
        self.session = session
    }
}

/// One client of a `select` result: the requested fields (`uid`, `groups`, `session`) in request order.
public struct SelectedClient: Hashable, Sendable {
    /// The client.
    public var clientID: GatewayClientID
    /// `field name => value` as the gateway serialized it (`uid`: string or null; `groups`: map or
    /// null; `session`: the raw session string).
    public var fields: PHPArray

    public init(clientID: GatewayClientID, fields: PHPArray) {
        self.clientID = clientID
        self.fields = fields
    }
}

/// The replies of one query sent to several gateways, merged the way PHP's `Lib\Gateway` merges them.
///
/// PHP collects replies into `$data[ip2long($ip)][$port]` and every helper iterates that nested array,
/// so results are ordered by gateway IP (first appearance), then port, then each gateway's own order;
/// a reply that does not unserialize is `false` and skipped by the helpers' truthiness checks. The
/// helpers below reproduce each PHP method's loop, including its de-duplication by PHP array key and
/// the `break` quirks of `getAllGroupUidList` / `getAllGroupClientIdList`.
struct GatewayReplies {
    /// One gateway's unserialized reply (nil: PHP `false`).
    struct Entry {
        var endpoint: IPv4Endpoint
        var value: PHPValue?
    }

    /// Replies in PHP's iteration order.
    private(set) var entries: [Entry] = []

    /// Orders raw reply payloads (in request order) like PHP's nested array and unserializes them.
    init(_ payloads: [(endpoint: IPv4Endpoint, payload: [UInt8])]) {
        var ipOrder: [UInt32] = []
        var byIP: [UInt32: [Entry]] = [:]
        for (endpoint, payload) in payloads {
            let entry = Entry(endpoint: endpoint, value: PHPUnserializer.unserialize(payload))
            if byIP[endpoint.ip] == nil { ipOrder.append(endpoint.ip) }
            if let position = byIP[endpoint.ip, default: []].firstIndex(where: { $0.endpoint == endpoint }) {
                byIP[endpoint.ip]![position] = entry  // a later reply for the same key replaces it in place
            } else {
                byIP[endpoint.ip, default: []].append(entry)
            }
        }
        entries = ipOrder.flatMap { byIP[$0]! }
    }

    private func clientID(_ endpoint: IPv4Endpoint, _ key: PHPKey) -> GatewayClientID? {
        guard case .int(let id) = key, let connectionID = UInt32(exactly: id) else { return nil }
        return GatewayClientID(localIP: endpoint.ip, localPort: endpoint.port, connectionID: connectionID)
    }

    private func clientID(_ endpoint: IPv4Endpoint, _ value: PHPValue) -> GatewayClientID? {
        switch value {
        case .int(let id): return clientID(endpoint, PHPKey.int(id))
        case .string(let text): return clientID(endpoint, PHPKey(normalizing: text))
        default: return nil
        }
    }

    // MARK: Lib\Gateway's merges

    /// `getAllClientSessions` / `getClientSessionsByGroup`: `[client_id => session]`.
    func sessions() -> [ClientSession] {
        var result = OrderedMap<GatewayClientID, PHPArray?>()
        for entry in entries {
            guard let value = entry.value, value.isPHPTruthy, case .array(let sessions) = value else { continue }
            for (key, sessionValue) in sessions {
                guard let id = clientID(entry.endpoint, key) else { continue }
                let session: PHPArray?
                if sessionValue.isPHPTruthy, case .string(let bytes) = sessionValue {
                    session = PHPUnserializer.unserialize(bytes)?.arrayValue
                } else {
                    session = PHPArray()
                }
                result[id] = session
            }
        }
        return result.map { ClientSession(clientID: $0.key, session: $0.value) }
    }

    /// `getClientIdCountByGroup`: the sum of every truthy count.
    func count() -> Int {
        entries.reduce(0) { total, entry in
            guard case .int(let count)? = entry.value else { return total }
            return total + Int(count)
        }
    }

    /// `getClientIdListByGroup` / `getAllClientIdList`: every client of the SELECT replies, once.
    func selectedClientIDs() -> [GatewayClientID] {
        var result = OrderedMap<GatewayClientID, Void>()
        for entry in entries {
            guard case .array(let items)? = entry.value else { continue }
            for key in items.keys {
                if let id = clientID(entry.endpoint, key) { result[id] = () }
            }
        }
        return result.map(\.key)
    }

    /// `getClientIdByUid`: every cid of every gateway's list, in order (no de-duplication).
    func clientIDLists() -> [GatewayClientID] {
        var result: [GatewayClientID] = []
        for entry in entries {
            guard let value = entry.value, value.isPHPTruthy, case .array(let ids) = value else { continue }
            result.append(contentsOf: ids.values.compactMap { clientID(entry.endpoint, $0) })
        }
        return result
    }

    /// `batchGetClientIdByUid`: `[uid => [client_id, …]]` across gateways.
    func batchClientIDs() -> [(key: String, clientIDs: [GatewayClientID])] {
        var result = OrderedMap<PHPKey, [GatewayClientID]>()
        for entry in entries {
            guard let value = entry.value, value.isPHPTruthy, case .array(let map) = value else { continue }
            for (uid, ids) in map {
                var list = result[uid] ?? []
                if case .array(let idArray) = ids {
                    list.append(contentsOf: idArray.values.compactMap { clientID(entry.endpoint, $0) })
                }
                result[uid] = list
            }
        }
        return result.map { (key: $0.key.text, clientIDs: $0.value) }
    }

    /// `batchGetClientIdCountByGroup`: `[group => count]` summed across gateways.
    func batchCounts() -> [(key: String, count: Int)] {
        var result = OrderedMap<PHPKey, Int>()
        for entry in entries {
            guard case .array(let map)? = entry.value else { continue }
            for (group, count) in map {
                let value: Int = if case .int(let number) = count { Int(number) } else { 0 }
                result[group] = (result[group] ?? 0) + value
            }
        }
        return result.map { (key: $0.key.text, count: $0.value) }
    }

    /// `getUidListByGroup` / `getAllUidList`: every non-empty uid of the SELECT replies, once.
    func selectedUIDs() -> [String] {
        var result = OrderedMap<PHPKey, String>()
        for entry in entries {
            guard case .array(let items)? = entry.value else { continue }
            for info in items.values {
                guard let uid = info.arrayValue?["uid"], uid.isPHPTruthy, let text = uid.phpText else { continue }
                result[PHPKey(normalizing: text)] = text
            }
        }
        return result.map(\.value)
    }

    /// `getUidByClientId`: the uid of the first client found, or nil.
    func firstUID() -> String? {
        for entry in entries {
            guard case .array(let items)? = entry.value, let first = items.values.first else { continue }
            return first.arrayValue?["uid"]?.phpText
        }
        return nil
    }

    /// `getAllGroupIdList`: every group id once, in discovery order.
    func groupIDs() -> [String] {
        var result = OrderedMap<PHPKey, String>()
        for entry in entries {
            guard case .array(let ids)? = entry.value else { continue }
            for id in ids.values {
                guard let text = id.phpText else { continue }
                let key = PHPKey(normalizing: text)
                if result[key] == nil { result[key] = text }
            }
        }
        return result.map(\.value)
    }

    /// `getAllGroupUidList`: `[group => [uid, …]]`. Like PHP, a gateway's scan stops at its first
    /// client without uid or groups.
    func groupUIDs() -> [(group: String, uids: [String])] {
        var result = OrderedMap<PHPKey, OrderedMap<PHPKey, String>>()
        for entry in entries {
            guard case .array(let items)? = entry.value else { continue }
            for info in items.values {
                let fields = info.arrayValue
                guard let uid = fields?["uid"], uid.isPHPTruthy, let uidText = uid.phpText,
                    let groups = fields?["groups"], groups.isPHPTruthy, case .array(let groupMap) = groups
                else { break }
                for group in groupMap.values {
                    guard let groupText = group.phpText else { continue }
                    let key = PHPKey(normalizing: groupText)
                    var uids = result[key] ?? OrderedMap()
                    uids[PHPKey(normalizing: uidText)] = uidText
                    result[key] = uids
                }
            }
        }
        return result.map { (group: $0.key.text, uids: $0.value.map(\.value)) }
    }

    /// `getAllGroupClientIdList`: `[group => [client_id, …]]`, stopping a gateway's scan at its first
    /// client without groups (PHP's `break`).
    func groupClientIDs() -> [(group: String, clientIDs: [GatewayClientID])] {
        var result = OrderedMap<PHPKey, OrderedMap<GatewayClientID, Void>>()
        for entry in entries {
            guard case .array(let items)? = entry.value else { continue }
            for (key, info) in items {
                guard let groups = info.arrayValue?["groups"], groups.isPHPTruthy, case .array(let groupMap) = groups
                else { break }
                guard let id = clientID(entry.endpoint, key) else { continue }
                for group in groupMap.values {
                    guard let groupText = group.phpText else { continue }
                    let groupKey = PHPKey(normalizing: groupText)
                    var ids = result[groupKey] ?? OrderedMap()
                    ids[id] = ()
                    result[groupKey] = ids
                }
            }
        }
        return result.map { (group: $0.key.text, clientIDs: $0.value.map(\.key)) }
    }

    /// A public `select`: every client row in PHP's order.
    func selectedRows() -> [SelectedClient] {
        var result = OrderedMap<GatewayClientID, PHPArray>()
        for entry in entries {
            guard case .array(let items)? = entry.value else { continue }
            for (key, info) in items {
                guard let id = clientID(entry.endpoint, key) else { continue }
                result[id] = info.arrayValue ?? PHPArray()
            }
        }
        return result.map { SelectedClient(clientID: $0.key, fields: $0.value) }
    }
}

/// A small insertion-ordered map, PHP-array style: assigning to an existing key keeps its position.
struct OrderedMap<Key: Hashable, Value>: Sequence {
    private var keys: [Key] = []
    private var values: [Value] = []
    private var positions: [Key: Int] = [:]

    subscript(key: Key) -> Value? {
        get { positions[key].map { values[$0] } }
        set {
            guard let newValue else { return }  // removal is never needed by the merges
            if let position = positions[key] {
                values[position] = newValue
            } else {
                positions[key] = keys.count
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    var count: Int { keys.count }

    func makeIterator() -> some IteratorProtocol<(key: Key, value: Value)> {
        zip(keys, values).lazy.map { (key: $0.0, value: $0.1) }.makeIterator()
    }
}

extension PHPValue {
    /// PHP truthiness: false for null, false, 0, 0.0, `""`, `"0"` and empty arrays.
    var isPHPTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let flag): flag
        case .int(let value): value != 0
        case .float(let value): value.value != 0
        case .string(let bytes): !(bytes.isEmpty || bytes == [UInt8(ascii: "0")])
        case .array(let array): !array.isEmpty
        case .opaque: true
        }
    }

    /// The value as PHP's string conversion of a scalar prints it (ints in decimal, strings as
    /// UTF-8 text); nil for other kinds.
    var phpText: String? {
        switch self {
        case .int(let value): String(value)
        case .string(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }
}

extension PHPKey {
    /// The key as text (`42`, `room-a`).
    var text: String { String(decoding: textBytes, as: UTF8.self) }
}
