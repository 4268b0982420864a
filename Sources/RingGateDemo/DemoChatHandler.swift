import RingGateCodecs
import RingGateWorkerKit

/// The demo chat's business logic, in the spirit of GatewayWorker's chat demo: every WebSocket client
/// is in one room; what one says, everyone gets (`DemoChatRequest`, `DemoChatEvent`).
///
/// - A WebSocket client that connects gets `welcome` (its client_id, name, the online count), and
///   everyone gets `join`. This happens on the WebSocket handshake, not on connect: a browser
///   fetching the page over the same port is a connection too, and must not appear in the chat.
/// - The name comes from the WebSocket URL's `?name=` (the page generates one), else `Guest-<id>`;
///   it lives in the client's session, so every worker process sees it and `leave` can say it.
/// - Malformed or unknown messages get an `error` to their sender only.
///
/// Chat clients are the members of the group `chat`; the online count is its size, asked of every
/// gateway in a task so the worker's loop never waits (the welcome and the join follow the reply).
/// Not `getAllClientIdCount`: browsers keep spare connections open that never become chat clients.
public struct DemoChatHandler: BusinessWorkerHandler {
    /// Stamps the messages; tests pass a fixed time.
    let clock: @Sendable () -> TimeOfDay

    public init(clock: @escaping @Sendable () -> TimeOfDay = TimeOfDay.now) {
        self.clock = clock
    }

    /// The session key the client's name is kept under.
    static let nameKey: PHPKey = "name"
    /// The group every chat client joins.
    static let room: GatewayID = "chat"

    public func onWebSocketConnect(_ context: inout WorkerContext, request: PHPValue) {
        let requested = request.arrayValue?["get"]?.arrayValue?["name"]?.stringBytes
        let name =
            requested.flatMap { DemoChatRequest.cleanName(String(decoding: $0, as: UTF8.self)) }
            ?? Self.defaultName(context.clientID)
        context.updateSession([Self.nameKey: PHPValue(string: name)])
        context.joinGroup(Self.room)
        let gateway = context.gateway
        let client = context.clientID
        let time = clock().description
        Task {
            let online = await Self.onlineCount(gateway, with: client)
            gateway.sendToClient(client, DemoChatEvent.welcome(clientID: "\(client)", name: name, online: online).json)
            gateway.sendToGroup(
                Self.room, DemoChatEvent.join(from: "\(client)", name: name, online: online, time: time).json)
        }
    }

    public func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
        let name = Self.name(in: &context)
        let from = "\(context.clientID)"
        switch DemoChatRequest.parse(message) {
        case .success(.say(let text)):
            context.gateway.sendToGroup(
                Self.room,
                DemoChatEvent.say(from: from, name: name, text: text, time: clock().description).json)
        case .success(.rename(let newName)):
            guard newName != name else { return }
            context.updateSession([Self.nameKey: PHPValue(string: newName)])
            context.gateway.sendToGroup(
                Self.room,
                DemoChatEvent.rename(from: from, oldName: name, name: newName, time: clock().description).json)
        case .failure(let rejection):
            context.send(DemoChatEvent.error(reason: rejection.reason).json)
        }
    }

    public func onClose(_ context: inout WorkerContext) {
        // No name: the connection never became a chat client (a page fetch, a failed handshake).
        guard let name = context.session?[Self.nameKey]?.stringBytes.map({ String(decoding: $0, as: UTF8.self) })
        else { return }
        let gateway = context.gateway
        let client = context.clientID
        let time = clock().description
        Task {
            let online = await Self.onlineCount(gateway, without: client)
            let from = "\(client)"
            gateway.sendToGroup(Self.room, DemoChatEvent.leave(from: from, name: name, online: online, time: time).json)
        }
    }

    /// The size of the chat group with `client` in it: the join command and the query travel on
    /// different connections, so the reply may or may not count it yet.
    static func onlineCount(_ gateway: Gateway, with client: GatewayClientID) async -> Int? {
        guard let members = try? await gateway.getClientIdListByGroup(room) else { return nil }
        return Set(members).union([client]).count
    }

    /// The size of the chat group without `client` (who is leaving).
    static func onlineCount(_ gateway: Gateway, without client: GatewayClientID) async -> Int? {
        guard let members = try? await gateway.getClientIdListByGroup(room) else { return nil }
        return Set(members).subtracting([client]).count
    }

    /// The client's name from its session, or its default name.
    static func name(in context: inout WorkerContext) -> String {
        context.session?[nameKey]?.stringBytes.map { String(decoding: $0, as: UTF8.self) }
            ?? defaultName(context.clientID)
    }

    /// `Guest-<connection id>`, until the client names itself.
    static func defaultName(_ client: GatewayClientID) -> String { "Guest-\(client.connectionID)" }
}
