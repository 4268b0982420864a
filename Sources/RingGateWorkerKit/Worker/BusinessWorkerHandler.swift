import RingGateCodecs

/// The application code of a `BusinessWorker`: PHP's `Events` class.
///
/// Every method is called on the worker's loop thread, one event at a time, in the order the gateway
/// sent them, and must return quickly: the next event (of any client) waits for it. Replies sent
/// through `context` or `context.gateway` during the call are written together after the loop turn.
/// Long work belongs in a `Task`; from there use `context.gateway` (thread-safe) with the client id,
/// not the context.
///
/// Every method has an empty default, so implement only what you need.
public protocol BusinessWorkerHandler: SendableMetatype {
    /// A client connected (CMD_ON_CONNECT). For WebSocket clients this precedes the handshake.
    func onConnect(_ context: inout WorkerContext)

    /// A client sent one message (CMD_ON_MESSAGE), as decoded by the gateway's client protocol.
    func onMessage(_ context: inout WorkerContext, message: [UInt8])

    /// A client disconnected (CMD_ON_CLOSE). Its session is readable; changes are not written back.
    func onClose(_ context: inout WorkerContext)

    /// A WebSocket client's handshake arrived (CMD_ON_WEBSOCKET_CONNECT): `request` is PHP's
    /// `['get' => …, 'server' => …, 'cookie' => …]` array.
    func onWebSocketConnect(_ context: inout WorkerContext, request: PHPValue)
}

extension BusinessWorkerHandler {
    /// Does nothing.
    public func onConnect(_ context: inout WorkerContext) {}
    /// Does nothing.
    public func onMessage(_ context: inout WorkerContext, message: [UInt8]) {}
    /// Does nothing.
    public func onClose(_ context: inout WorkerContext) {}
    /// Does nothing.
    public func onWebSocketConnect(_ context: inout WorkerContext, request: PHPValue) {}
}
