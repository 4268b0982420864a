import RingGateCodecs

extension ShardGateway {
    /// The client's client_id, uid and groups for `ringgate connections`; nil before it entered the
    /// client table (or after it left).
    func listing(of client: ClientID) -> UpstreamClientListing? {
        guard Int(client.slot) < connectionIDs.count else { return nil }
        let connectionID = connectionIDs[Int(client.slot)]
        guard let record = table[connectionID], record.clientID == client else { return nil }
        var clientID: [UInt8] = []
        GatewayClientID(localIP: configuration.lanIPv4, localPort: innerPort, connectionID: connectionID)
            .encode(into: &clientID)
        return UpstreamClientListing(
            clientID: String(decoding: clientID, as: UTF8.self),
            uid: record.uid.map { String(decoding: $0.textBytes, as: UTF8.self) },
            groups: (record.groups.map(Array.init) ?? []).map { String(decoding: $0.textBytes, as: UTF8.self) })
    }
}
