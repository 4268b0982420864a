import RingGateCodecs
import RingGateRuntime

extension ShardGateway {
    /// The body of CMD_ON_WEBSOCKET_CONNECT for a client's upgrade request, in the shape of the
    /// workerman version the listener emulates (spec §4.2).
    func webSocketConnectBody(head: Span<UInt8>, client: ClientID, on shard: ClientShard) -> [UInt8] {
        let connection = shard.connections[Int(client.slot)]
        let listener = shard.listeners[Int(connection.listener)].configuration
        let peer = SocketAddress.ipv4(address: connection.peerIPv4, port: connection.peerPort)
        return WebSocketConnectInfo.serializedBody(
            head: head, flavour: listener.webSocket.workermanVersion, remoteAddress: peer.host,
            remotePort: connection.peerPort, serverPort: listener.address.port)
    }
}
