/// A GatewayProtocol command code (spec §4.1), carried in byte 4 of every packet header.
///
/// A struct rather than an enum so that every byte value is representable: PHP keeps an authorised
/// connection open when it receives an unknown code (§4.1), so the gateway must be able to decode,
/// log and count one instead of failing the whole packet.
public struct GatewayCommand: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as it appears on the wire.
    public var rawValue: UInt8

    /// Wraps any code, known or not.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// G→W: a client connected (TCP accept). ext = session.
    public static let onConnect = GatewayCommand(rawValue: 1)
    /// G→W: one decoded client message. ext = session, body = message.
    public static let onMessage = GatewayCommand(rawValue: 3)
    /// G→W: the client is gone. ext = session at close time.
    public static let onClose = GatewayCommand(rawValue: 4)
    /// W→G: send body to the client `connection_id`.
    public static let sendToOne = GatewayCommand(rawValue: 5)
    /// W→G: broadcast or multicast; ext = empty or JSON `connections` / `exclude`.
    public static let sendToAll = GatewayCommand(rawValue: 6)
    /// W→G: send the optional goodbye body, then close gracefully.
    public static let kick = GatewayCommand(rawValue: 7)
    /// W→G: close at once, discarding queued output.
    public static let destroy = GatewayCommand(rawValue: 8)
    /// W→G: `array_replace_recursive` the serialized partial session in ext into the session.
    public static let updateSession = GatewayCommand(rawValue: 9)
    /// W→G query: `[cid => session]` of every client.
    public static let getAllClientSessions = GatewayCommand(rawValue: 10)
    /// W→G query: `i:1;` or `i:0;`.
    public static let isOnline = GatewayCommand(rawValue: 11)
    /// W→G: bind the client to the uid in ext.
    public static let bindUID = GatewayCommand(rawValue: 12)
    /// W→G: remove the client's uid binding (ext ignored).
    public static let unbindUID = GatewayCommand(rawValue: 13)
    /// W→G: send body to every client of the uids in the JSON list in ext.
    public static let sendToUID = GatewayCommand(rawValue: 14)
    /// W→G query: list of cids bound to the uid in ext.
    public static let getClientIDByUID = GatewayCommand(rawValue: 15)
    /// W→G query: `[uid => list of cids]` for the JSON list of uids in ext.
    public static let batchGetClientIDByUID = GatewayCommand(rawValue: 16)
    /// W→G: add the client to the group in ext.
    public static let joinGroup = GatewayCommand(rawValue: 20)
    /// W→G: remove the client from the group in ext.
    public static let leaveGroup = GatewayCommand(rawValue: 21)
    /// W→G: send body to the members of the groups in the JSON ext.
    public static let sendToGroup = GatewayCommand(rawValue: 22)
    /// W→G query: `[cid => session]` of the members of the group in ext.
    public static let getClientSessionsByGroup = GatewayCommand(rawValue: 23)
    /// W→G query: `i:N;` members of the group in ext, or all clients when ext is empty.
    public static let getClientCountByGroup = GatewayCommand(rawValue: 24)
    /// W→G query: `[cid => [field => value]]` for the JSON `{fields, where}` in ext.
    public static let select = GatewayCommand(rawValue: 25)
    /// W→G query: list of existing group ids.
    public static let getGroupIDList = GatewayCommand(rawValue: 26)
    /// W→G: dissolve the group in ext.
    public static let ungroup = GatewayCommand(rawValue: 27)
    /// W→G query: `[group => count]` for the JSON list of groups in ext.
    public static let batchGetClientCountByGroup = GatewayCommand(rawValue: 28)
    /// W→G: first packet of a BusinessWorker; body = JSON `{worker_key, secret_key}`.
    public static let workerConnect = GatewayCommand(rawValue: 200)
    /// G→W: keepalive every 25 s (§5.5).
    public static let ping = GatewayCommand(rawValue: 201)
    /// W→G: authorise a query/command connection; body = JSON `{secret_key}`.
    public static let gatewayClientConnect = GatewayCommand(rawValue: 202)
    /// W→G query: the raw session of `connection_id`, `a:0:{}` or `N;`.
    public static let getSessionByClientID = GatewayCommand(rawValue: 203)
    /// W→G: replace the session of `connection_id` with ext, verbatim.
    public static let setSession = GatewayCommand(rawValue: 204)
    /// G→W: WebSocket handshake received; body = serialized `['get','server','cookie']` array, flag 0.
    public static let onWebSocketConnect = GatewayCommand(rawValue: 205)

    /// The PHP constant name (`CMD_ON_CONNECT`), or nil for an unassigned code.
    ///
    /// Used in log lines so operators can match them against PHP GatewayWorker's sources.
    public var name: String? {
        switch rawValue {
        case 1: "CMD_ON_CONNECT"
        case 3: "CMD_ON_MESSAGE"
        case 4: "CMD_ON_CLOSE"
        case 5: "CMD_SEND_TO_ONE"
        case 6: "CMD_SEND_TO_ALL"
        case 7: "CMD_KICK"
        case 8: "CMD_DESTROY"
        case 9: "CMD_UPDATE_SESSION"
        case 10: "CMD_GET_ALL_CLIENT_SESSIONS"
        case 11: "CMD_IS_ONLINE"
        case 12: "CMD_BIND_UID"
        case 13: "CMD_UNBIND_UID"
        case 14: "CMD_SEND_TO_UID"
        case 15: "CMD_GET_CLIENT_ID_BY_UID"
        case 16: "CMD_BATCH_GET_CLIENT_ID_BY_UID"
        case 20: "CMD_JOIN_GROUP"
        case 21: "CMD_LEAVE_GROUP"
        case 22: "CMD_SEND_TO_GROUP"
        case 23: "CMD_GET_CLIENT_SESSIONS_BY_GROUP"
        case 24: "CMD_GET_CLIENT_COUNT_BY_GROUP"
        case 25: "CMD_SELECT"
        case 26: "CMD_GET_GROUP_ID_LIST"
        case 27: "CMD_UNGROUP"
        case 28: "CMD_BATCH_GET_CLIENT_COUNT_BY_GROUP"
        case 200: "CMD_WORKER_CONNECT"
        case 201: "CMD_PING"
        case 202: "CMD_GATEWAY_CLIENT_CONNECT"
        case 203: "CMD_GET_SESSION_BY_CLIENT_ID"
        case 204: "CMD_SET_SESSION"
        case 205: "CMD_ON_WEBSOCKET_CONNECT"
        default: nil
        }
    }

    /// Whether the code is one of the commands of §4.1.
    public var isKnown: Bool { name != nil }

    /// Whether the gateway answers this command with a length-prefixed reply (§2.4).
    ///
    /// Every other command produces no bytes at all, so a caller must not wait for a reply to one.
    public var expectsReply: Bool {
        switch rawValue {
        case 10, 11, 15, 16, 23, 24, 25, 26, 28, 203: true
        default: false
        }
    }

    /// `CMD_NAME(code)`, or `unknown(code)`.
    public var description: String {
        if let name { return "\(name)(\(rawValue))" }
        return "unknown(\(rawValue))"
    }
}
