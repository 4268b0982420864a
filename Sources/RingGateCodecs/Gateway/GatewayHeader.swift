/// The 28-byte header in front of every GatewayProtocol packet (spec §2.1), PHP pack format
/// `NCNnNnNCnN`.
///
/// Decoding never validates lengths against each other: `GatewayPacketAssembler` does that, so a
/// header can be inspected (and logged) even when it is malformed.
public struct GatewayHeader: Hashable, Sendable {
    /// Bytes in a header.
    public static let byteCount = 28

    /// Total packet length including these 28 bytes, ext_data and body.
    public var packLength: UInt32
    /// Command code (§4).
    public var command: GatewayCommand
    /// Gateway's lanIp as an IPv4 `UInt32` (events only; 0 in requests).
    public var localIP: UInt32
    /// Gateway's inner port (events only).
    public var localPort: UInt16
    /// Client's IPv4 as `UInt32`, 0 when not IPv4 (events only).
    public var clientIP: UInt32
    /// Client's TCP source port (events only).
    public var clientPort: UInt16
    /// Client connection id on the gateway (§3); 0 when the command targets no client.
    public var connectionID: UInt32
    /// Flag bits (§2.3).
    public var flags: GatewayFlags
    /// Public port the client connected to (events only).
    public var gatewayPort: UInt16
    /// Length of ext_data.
    public var extLength: UInt32

    /// A header with every field given; lengths are taken as is.
    public init(
        packLength: UInt32, command: GatewayCommand, localIP: UInt32 = 0, localPort: UInt16 = 0,
        clientIP: UInt32 = 0, clientPort: UInt16 = 0, connectionID: UInt32 = 0, flags: GatewayFlags = [],
        gatewayPort: UInt16 = 0, extLength: UInt32 = 0
    ) {
        self.packLength = packLength
        self.command = command
        self.localIP = localIP
        self.localPort = localPort
        self.clientIP = clientIP
        self.clientPort = clientPort
        self.connectionID = connectionID
        self.flags = flags
        self.gatewayPort = gatewayPort
        self.extLength = extLength
    }

    /// A header whose `packLength` and `extLength` are computed from the ext and body lengths, for
    /// writing a packet whose ext and body the caller appends itself (no intermediate packet value).
    ///
    /// Throws `.packageTooLarge` when the packet would exceed `maxPackageLength` (default 10 MiB):
    /// the peer would close the connection on receipt (§2.2), so producing it is always a mistake.
    public init(
        command: GatewayCommand, localIP: UInt32 = 0, localPort: UInt16 = 0, clientIP: UInt32 = 0,
        clientPort: UInt16 = 0, connectionID: UInt32 = 0, flags: GatewayFlags = [], gatewayPort: UInt16 = 0,
        extByteCount: Int, bodyByteCount: Int,
        maxPackageLength: Int = GatewayPacketAssembler.defaultMaxPackageLength
    ) throws(GatewayProtocolError) {
        precondition(extByteCount >= 0 && bodyByteCount >= 0, "byte counts are never negative")
        let (partial, overflow1) = extByteCount.addingReportingOverflow(bodyByteCount)
        let (total, overflow2) = partial.addingReportingOverflow(Self.byteCount)
        let limit = min(maxPackageLength, Int(UInt32.max))
        guard !overflow1, !overflow2, total <= limit else {
            throw .packageTooLarge(length: overflow1 || overflow2 ? Int.max : total, limit: limit)
        }
        self.init(
            packLength: UInt32(total), command: command, localIP: localIP, localPort: localPort,
            clientIP: clientIP, clientPort: clientPort, connectionID: connectionID, flags: flags,
            gatewayPort: gatewayPort, extLength: UInt32(extByteCount))
    }

    /// Decodes the first 28 bytes of `bytes`; nil when fewer are available.
    public init?(decoding bytes: borrowing Span<UInt8>) {
        guard bytes.count >= Self.byteCount else { return nil }
        self.init(
            packLength: GatewayBytes.uint32(bytes, at: 0),
            command: GatewayCommand(rawValue: bytes[4]),
            localIP: GatewayBytes.uint32(bytes, at: 5),
            localPort: GatewayBytes.uint16(bytes, at: 9),
            clientIP: GatewayBytes.uint32(bytes, at: 11),
            clientPort: GatewayBytes.uint16(bytes, at: 15),
            connectionID: GatewayBytes.uint32(bytes, at: 17),
            flags: GatewayFlags(rawValue: bytes[21]),
            gatewayPort: GatewayBytes.uint16(bytes, at: 22),
            extLength: GatewayBytes.uint32(bytes, at: 24))
    }

    /// Decodes the first 28 bytes of `bytes`; nil when fewer are available.
    public init?(decoding bytes: [UInt8]) {
        self.init(decoding: bytes.span)
    }

    /// Length of the body implied by the two length fields, or nil when they are inconsistent
    /// (`packLength < 28` or `extLength > packLength − 28`).
    public var bodyLength: Int? {
        guard packLength >= UInt32(Self.byteCount) else { return nil }
        let afterHeader = packLength - UInt32(Self.byteCount)
        guard extLength <= afterHeader else { return nil }
        return Int(afterHeader - extLength)
    }

    /// Appends the 28 header bytes to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        GatewayBytes.append(packLength, to: &buffer)
        buffer.append(command.rawValue)
        GatewayBytes.append(localIP, to: &buffer)
        GatewayBytes.append(localPort, to: &buffer)
        GatewayBytes.append(clientIP, to: &buffer)
        GatewayBytes.append(clientPort, to: &buffer)
        GatewayBytes.append(connectionID, to: &buffer)
        buffer.append(flags.rawValue)
        GatewayBytes.append(gatewayPort, to: &buffer)
        GatewayBytes.append(extLength, to: &buffer)
    }

    /// Lends the 28 header bytes without a heap allocation (for writing events straight into send
    /// buffers).
    public func withEncodedBytes<Result>(_ body: (Span<UInt8>) -> Result) -> Result {
        var bytes = InlineArray<28, UInt8>(repeating: 0)
        func put(_ value: UInt32, at offset: Int) {
            bytes[offset] = UInt8(truncatingIfNeeded: value >> 24)
            bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
            bytes[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
            bytes[offset + 3] = UInt8(truncatingIfNeeded: value)
        }
        func put(_ value: UInt16, at offset: Int) {
            bytes[offset] = UInt8(truncatingIfNeeded: value >> 8)
            bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
        }
        put(packLength, at: 0)
        bytes[4] = command.rawValue
        put(localIP, at: 5)
        put(localPort, at: 9)
        put(clientIP, at: 11)
        put(clientPort, at: 15)
        put(connectionID, at: 17)
        bytes[21] = flags.rawValue
        put(gatewayPort, at: 22)
        put(extLength, at: 24)
        return body(bytes.span)
    }

    /// The 28 header bytes.
    public var encoded: [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.byteCount)
        encode(into: &buffer)
        return buffer
    }
}
