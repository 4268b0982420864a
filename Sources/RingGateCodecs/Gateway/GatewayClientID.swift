/// A GatewayWorker client_id (spec §3): lowercase hex of `u32 local_ip ‖ u16 local_port ‖
/// u32 connection_id`, exactly 20 characters.
///
/// Workers build it from the header of each event and route replies to `gatewayAddress`, so the
/// address a gateway registers must be byte-identical to what this type derives from its client_ids.
public struct GatewayClientID: Hashable, Sendable, CustomStringConvertible {
    /// Characters in a client_id.
    public static let characterCount = 20

    /// Gateway's lanIp as an IPv4 `UInt32`.
    public var localIP: UInt32
    /// Gateway's inner port.
    public var localPort: UInt16
    /// Connection id on that gateway (never 0 for a real client).
    public var connectionID: UInt32

    /// A client_id from its three parts.
    public init(localIP: UInt32, localPort: UInt16, connectionID: UInt32) {
        self.localIP = localIP
        self.localPort = localPort
        self.connectionID = connectionID
    }

    /// Parses 20 hex characters, case-insensitively; nil for any other length or a non-hex byte
    /// (PHP libraries reject such ids).
    public init?(parsing bytes: borrowing Span<UInt8>) {
        guard bytes.count == Self.characterCount else { return nil }
        var value: UInt128 = 0
        for index in bytes.indices {
            guard let nibble = Self.hexValue(bytes[index]) else { return nil }
            value = value << 4 | UInt128(nibble)
        }
        self.init(
            localIP: UInt32(truncatingIfNeeded: value >> 48), localPort: UInt16(truncatingIfNeeded: value >> 32),
            connectionID: UInt32(truncatingIfNeeded: value))
    }

    /// Parses 20 hex characters, case-insensitively; nil otherwise.
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        self.init(parsing: bytes.span)
    }

    /// Appends the 20 lowercase hex characters (as ASCII) to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        let value = UInt128(localIP) << 48 | UInt128(localPort) << 32 | UInt128(connectionID)
        for shift in stride(from: 76, through: 0, by: -4) {
            buffer.append(Self.hexDigits[Int(truncatingIfNeeded: (value >> UInt128(shift)) & 0xF)])
        }
    }

    /// The 20 lowercase hex characters.
    public var description: String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.characterCount)
        encode(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// `long2ip(local_ip) + ":" + local_port`: the address PHP libraries send commands for this
    /// client to.
    public var gatewayAddress: String {
        "\(GatewayIPv4.dottedQuad(localIP)):\(localPort)"
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// IPv4 addresses as GatewayWorker writes them: a `UInt32` in headers, a dotted quad in addresses.
public enum GatewayIPv4 {
    /// The dotted quad of `address`, like PHP `long2ip` (no leading zeros): 0x7F000001 → `127.0.0.1`.
    public static func dottedQuad(_ address: UInt32) -> String {
        "\(address >> 24).\(address >> 16 & 0xFF).\(address >> 8 & 0xFF).\(address & 0xFF)"
    }

    /// Parses a dotted quad like PHP `ip2long` (glibc `inet_pton`): exactly four decimal parts of
    /// 0–255, no leading zeros, no spaces, nothing else. Nil otherwise.
    ///
    /// Strict on purpose: the gateway encodes lanIp into every client_id and registers the same
    /// string, so a lenient parse here would let the two disagree.
    public static func parse(_ text: String) -> UInt32? {
        var result: UInt32 = 0
        var parts = 0
        var part: UInt32 = 0
        var digits = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                result = result << 8 | part
                parts += 1
                part = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                if digits == 1 && part == 0 { return nil }  // leading zero
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard parts == 3, digits > 0 else { return nil }
        return result << 8 | part
    }
}
