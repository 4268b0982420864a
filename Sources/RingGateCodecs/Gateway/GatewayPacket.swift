/// One whole GatewayProtocol packet with its ext_data and body copied out (spec §2.1).
///
/// The convenient form for tests, the worker kit and rare commands; the gateway's hot path reads
/// packets in place through `GatewayPacketAssembler.peekPacket()` instead.
public struct GatewayPacket: Hashable, Sendable {
    /// The header as decoded. `encode` ignores its two length fields and writes the real ones.
    public var header: GatewayHeader
    /// Command-specific bytes (uid, group, session, JSON, …); empty when `ext_len` is 0.
    public var extData: [UInt8]
    /// Payload: raw bytes when `flags` has `.bodyIsScalar`, else a PHP serialization.
    public var body: [UInt8]

    /// A packet from its parts; the header's lengths are recomputed on encode.
    public init(header: GatewayHeader, extData: [UInt8] = [], body: [UInt8] = []) {
        self.header = header
        self.extData = extData
        self.body = body
    }

    /// A packet from its fields, with lengths derived from `extData` and `body`.
    public init(
        command: GatewayCommand, localIP: UInt32 = 0, localPort: UInt16 = 0, clientIP: UInt32 = 0,
        clientPort: UInt16 = 0, connectionID: UInt32 = 0, flags: GatewayFlags = [], gatewayPort: UInt16 = 0,
        extData: [UInt8] = [], body: [UInt8] = []
    ) {
        let header = GatewayHeader(
            packLength: UInt32(clamping: GatewayHeader.byteCount + extData.count + body.count), command: command,
            localIP: localIP, localPort: localPort, clientIP: clientIP, clientPort: clientPort,
            connectionID: connectionID, flags: flags, gatewayPort: gatewayPort,
            extLength: UInt32(clamping: extData.count))
        self.init(header: header, extData: extData, body: body)
    }

    /// Appends the packet's exact bytes to `buffer`: header with computed `pack_len`/`ext_len`,
    /// ext_data, body.
    ///
    /// Throws `.packageTooLarge` (and appends nothing) when the packet would exceed
    /// `maxPackageLength`, because the peer would close the connection on receipt (§2.2).
    public func encode(
        into buffer: inout [UInt8], maxPackageLength: Int = GatewayPacketAssembler.defaultMaxPackageLength
    ) throws(GatewayProtocolError) {
        let wireHeader = try GatewayHeader(
            command: header.command, localIP: header.localIP, localPort: header.localPort,
            clientIP: header.clientIP, clientPort: header.clientPort, connectionID: header.connectionID,
            flags: header.flags, gatewayPort: header.gatewayPort, extByteCount: extData.count,
            bodyByteCount: body.count, maxPackageLength: maxPackageLength)
        buffer.reserveCapacity(buffer.count + Int(wireHeader.packLength))
        wireHeader.encode(into: &buffer)
        buffer.append(contentsOf: extData)
        buffer.append(contentsOf: body)
    }

    /// The packet's exact bytes (see `encode(into:maxPackageLength:)`).
    public func encoded(
        maxPackageLength: Int = GatewayPacketAssembler.defaultMaxPackageLength
    ) throws(GatewayProtocolError) -> [UInt8] {
        var buffer: [UInt8] = []
        try encode(into: &buffer, maxPackageLength: maxPackageLength)
        return buffer
    }
}
