import NIOCore
import RingGateCodecs

/// A gateway or Register address: an IPv4 address and a port, written `a.b.c.d:port`.
///
/// Gateways register the exact string `long2ip(local_ip):local_port` that their client_ids encode
/// (spec §3), and PHP routes a command by comparing those strings. Parsing is therefore strict (dotted
/// quad without leading zeros, decimal port without leading zeros), so `description` reproduces the
/// registered string byte for byte and an endpoint built from a client_id equals the parsed one exactly
/// when PHP's string comparison would match. Hostnames are refused: resolving them would block the loop
/// and no gateway can register one usefully.
struct IPv4Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// Host-order IPv4 address.
    var ip: UInt32
    /// TCP port.
    var port: UInt16

    init(ip: UInt32, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// The gateway a client_id lives on (`dotted(local_ip):local_port`).
    init(_ clientID: GatewayClientID) {
        self.init(ip: clientID.localIP, port: clientID.localPort)
    }

    /// Parses `a.b.c.d:port`; nil for anything else (hostnames, IPv6, port 0, leading zeros).
    init?(parsing text: String) {
        guard let colon = text.utf8.lastIndex(of: UInt8(ascii: ":")) else { return nil }
        let portText = text.utf8[text.utf8.index(after: colon)...]
        guard let ip = GatewayIPv4.parse(String(text[..<colon])),
            !portText.isEmpty, portText.count <= 5, portText.first != UInt8(ascii: "0")
        else { return nil }
        var port = 0
        for byte in portText {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            port = port * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard port <= Int(UInt16.max) else { return nil }
        self.init(ip: ip, port: UInt16(port))
    }

    /// `a.b.c.d:port`, as PHP's `long2ip` and string interpolation print it.
    var description: String { "\(GatewayIPv4.dottedQuad(ip)):\(port)" }

    /// The address for a NIO connect (no name resolution).
    func socketAddress() throws -> SocketAddress {
        try SocketAddress(ipAddress: GatewayIPv4.dottedQuad(ip), port: Int(port))
    }
}
