import RingGateCodecs

/// What a shard tells the application about its clients. Runs on the shard's thread; implementations
/// keep per-shard state and never block.
public protocol ClientApplication: AnyObject {
    /// A client connected (its peer address is known).
    func clientConnected(_ client: ClientID, on shard: ClientShard)
    /// One complete message, decoded by the listener's framing. `opcode` is the WebSocket frame type
    /// (nil for other framings). The bytes are valid only during the call.
    func messageReceived(_ message: Span<UInt8>, opcode: WebSocketOpcode?, from client: ClientID, on shard: ClientShard)
    /// The client is gone (for whatever reason); its id is no longer valid.
    func clientClosed(_ client: ClientID, on shard: ClientShard)
    /// A WebSocket client's upgrade request was accepted; the 101 response is written after this
    /// returns, unless the application closed the client. `head` is the request head as received.
    func webSocketHandshakeAccepted(_ head: Span<UInt8>, from client: ClientID, on shard: ClientShard)
}

extension ClientApplication {
    public func webSocketHandshakeAccepted(_ head: Span<UInt8>, from client: ClientID, on shard: ClientShard) {}
}

/// Sends every message back to its sender through the same framing, keeping the WebSocket frame type.
/// Used by tests, conformance runs and benchmarks.
public final class EchoApplication: ClientApplication {
    public init() {}

    public func clientConnected(_ client: ClientID, on shard: ClientShard) {}

    public func messageReceived(
        _ message: Span<UInt8>, opcode: WebSocketOpcode?, from client: ClientID, on shard: ClientShard
    ) {
        shard.send(message, to: client, opcode: opcode)
    }

    public func clientClosed(_ client: ClientID, on shard: ClientShard) {}
}
