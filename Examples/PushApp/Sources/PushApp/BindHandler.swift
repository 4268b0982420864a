import RingGateWorkerKit

/// The app's BusinessWorker handler: a client that sends `bind <uid>` is bound to that uid (and told
/// so); anything else gets a hint. Pushes then reach it through `POST /push/{uid}`.
struct BindHandler: BusinessWorkerHandler {
    /// Longest uid accepted; the gateway stores uids per client.
    static let maxUidLength = 64

    func onMessage(_ context: inout WorkerContext, message: [UInt8]) {
        let text = String(decoding: message, as: UTF8.self)
        guard text.hasPrefix("bind "), case let uid = String(text.dropFirst(5)), !uid.isEmpty,
            uid.utf8.count <= Self.maxUidLength
        else {
            return context.send("send \"bind <uid>\" (1 to \(Self.maxUidLength) bytes) to receive pushes")
        }
        context.bindUid(GatewayID(uid))
        context.send("bound \(uid)")
    }
}
