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
/// The online count comes from `getAllClientIdCount` (every gateway, every connection), queried in
/// a task so the worker's loop never waits for it; the welcome and the join follow the reply.
public struct DemoChatHandler: BusinessWorkerHandler {
    /// Stamps the messages; tests pass a fixed time.
    let clock: @Sendable () -> TimeOfDay

    public init(clock: @escaping @Sendable () -> TimeOfDay = TimeOfDay.now) {
        self.clock = clock
    }

    /// The session key the client's name is kept under.
    static let nameKey: PHPKey = "name"

    public func onWebSocketConnect(_ context: inout WorkerContext, request: PHPValue) {
        let requested = request.arrayValue?["get"]?.arrayValue?["name"]?.stringBytes
        let name =
            requested.flatMap { DemoChatRequest.cleanName(String(decoding: $0, as: UTF8.self)) }
            ?? Self.defaultName(context.clientID)
        context.updateSession([Self.nameKey: PHPValue(string: name)])
        let gateway = context.gateway
        let client = context.clientID
        let time = clock().description
        Task {
            let online = try? await gateway.getAllClientIdCount()
            gateway.sendToClient(client, DemoChatEvent.welcome(clientID: "\(client)", name: name, online: online).json)
            gateway.sendToAll(DemoChatEvent.join(from: "\(client)", name: name, online: online, time: time).json)
        }
    }

    public func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
        let name = Self.name(in: &context)
        let from = "\(context.clientID)"
        switch DemoChatRequest.parse(message) {
        case .success(.say(let text)):
            context.gateway.sendToAll(
                DemoChatEvent.say(from: from, name: name, text: text, time: clock().description).json)
        case .success(.rename(let newName)):
            guard newName != name else { return }
            context.updateSession([Self.nameKey: PHPValue(string: newName)])
            context.gateway.sendToAll(
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
        let from = "\(context.clientID)"
        let time = clock().description
        Task {
            let online = try? await gateway.getAllClientIdCount()
            gateway.sendToAll(DemoChatEvent.leave(from: from, name: name, online: online, time: time).json)
        }
    }

    /// The client's name from its session, or its default name.
    static func name(in context: inout WorkerContext) -> String {
        context.session?[nameKey]?.stringBytes.map { String(decoding: $0, as: UTF8.self) }
            ?? defaultName(context.clientID)
    }

    /// `Guest-<connection id>`, until the client names itself.
    static func defaultName(_ client: GatewayClientID) -> String { "Guest-\(client.connectionID)" }
}
