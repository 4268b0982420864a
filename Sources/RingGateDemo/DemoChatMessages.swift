import RingGateCodecs

/// What a chat client may send: one JSON object per WebSocket text message.
///
/// `{"type":"say","text":"…"}` says something to everyone; `{"type":"name","name":"…"}` changes the
/// sender's name. Anything else is answered with a `DemoChatEvent.error` to the sender only.
public enum DemoChatRequest: Equatable, Sendable {
    case say(text: String)
    case rename(name: String)

    /// Longest message parsed; longer ones are refused before parsing (a valid request is far smaller).
    public static let maxMessageByteCount = 16_384
    /// Longest text of a `say`, in characters.
    public static let maxTextLength = 1000
    /// Longest name, in characters.
    public static let maxNameLength = 32

    /// Why a message was refused; `reason` is what the client is told.
    public enum Rejection: Error, Equatable, Sendable {
        case tooLarge
        case notJSON
        case unknownType
        case emptyText
        case textTooLong
        case invalidName

        public var reason: String {
            switch self {
            case .tooLarge: "message too large"
            case .notJSON: "messages are JSON objects with a \"type\""
            case .unknownType: "unknown message type (say, name)"
            case .emptyText: "nothing to say"
            case .textTooLong: "text longer than \(DemoChatRequest.maxTextLength) characters"
            case .invalidName: "a name has 1 to \(DemoChatRequest.maxNameLength) visible characters"
            }
        }
    }

    /// The request in `message`, or why it is refused.
    public static func parse(_ message: [UInt8]) -> Result<DemoChatRequest, Rejection> {
        guard message.count <= maxMessageByteCount else { return .failure(.tooLarge) }
        // Depth 2 is enough for an object of strings and keeps hostile nesting cheap.
        guard let value = JSONParser.parse(message, maxDepth: 2), case .object = value else {
            return .failure(.notJSON)
        }
        switch value["type"]?.stringValue {
        case "say":
            guard let text = value["text"]?.stringValue, !isBlank(text) else { return .failure(.emptyText) }
            guard text.count <= maxTextLength else { return .failure(.textTooLong) }
            return .success(.say(text: text))
        case "name":
            guard let name = value["name"]?.stringValue.flatMap(cleanName) else { return .failure(.invalidName) }
            return .success(.rename(name: name))
        default:
            return .failure(.unknownType)
        }
    }

    /// `name` without control characters and surrounding whitespace, or nil when nothing visible is
    /// left or it is longer than `maxNameLength` characters.
    public static func cleanName(_ name: String) -> String? {
        let visible = String(name.unicodeScalars.filter { !isControl($0) }.map(Character.init))
        let trimmed = visible.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        guard !trimmed.isEmpty, trimmed.count <= maxNameLength else { return nil }
        return String(trimmed)
    }

    private static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.properties.isWhitespace || isControl($0) }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

/// What the chat worker sends to clients: one JSON object per message, members in a fixed order,
/// strings escaped by `JSONWriter` (PHP `json_encode` style, so pure ASCII on the wire).
public enum DemoChatEvent: Equatable, Sendable {
    /// To a client whose WebSocket just opened: its client_id, its name, how many are online.
    case welcome(clientID: String, name: String, online: Int?)
    /// To everyone: a client joined.
    case join(from: String, name: String, online: Int?, time: String)
    /// To everyone: a client said something.
    case say(from: String, name: String, text: String, time: String)
    /// To everyone: a client changed its name.
    case rename(from: String, oldName: String, name: String, time: String)
    /// To everyone: a client left.
    case leave(from: String, name: String, online: Int?, time: String)
    /// To one client: its message was refused.
    case error(reason: String)

    /// The event as a JSON text message. `online` is left out when the count is unknown.
    public var json: [UInt8] {
        var members: [(key: String, value: JSONValue)]
        switch self {
        case .welcome(let clientID, let name, let online):
            members = [("type", .string("welcome")), ("client_id", .string(clientID)), ("name", .string(name))]
            if let online { members.append(("online", .number(JSONNumber(Int64(online))))) }
        case .join(let from, let name, let online, let time):
            members = [("type", .string("join")), ("from", .string(from)), ("name", .string(name))]
            if let online { members.append(("online", .number(JSONNumber(Int64(online))))) }
            members.append(("time", .string(time)))
        case .say(let from, let name, let text, let time):
            members = [
                ("type", .string("say")), ("from", .string(from)), ("name", .string(name)), ("text", .string(text)),
                ("time", .string(time)),
            ]
        case .rename(let from, let oldName, let name, let time):
            members = [
                ("type", .string("name")), ("from", .string(from)), ("old_name", .string(oldName)),
                ("name", .string(name)),
                ("time", .string(time)),
            ]
        case .leave(let from, let name, let online, let time):
            members = [("type", .string("leave")), ("from", .string(from)), ("name", .string(name))]
            if let online { members.append(("online", .number(JSONNumber(Int64(online))))) }
            members.append(("time", .string(time)))
        case .error(let reason):
            members = [("type", .string("error")), ("error", .string(reason))]
        }
        return JSONWriter.encode(.object(members))
    }
}
