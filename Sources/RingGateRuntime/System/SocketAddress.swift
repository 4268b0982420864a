import Glibc

/// An IPv4 or IPv6 socket address as the gateway configures and reports it.
public enum SocketAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Host-order IPv4 address and port.
    case ipv4(address: UInt32, port: UInt16)
    /// Sixteen address bytes (network order) and port.
    case ipv6(address: [UInt8], port: UInt16)

    /// Parses "1.2.3.4" or "::1" / "[::1]" with a port.
    public init?(host: String, port: UInt16) {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            self = .ipv4(address: UInt32(bigEndian: v4.s_addr), port: port)
            return
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var v6 = in6_addr()
        if inet_pton(AF_INET6, bare, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            self = .ipv6(address: bytes, port: port)
            return
        }
        return nil
    }

    /// Parses "host:port" (IPv6 in brackets: "[::1]:8282").
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            return nil
        }
        self.init(host: String(text[..<colon]), port: port)
    }

    public var port: UInt16 {
        switch self {
        case .ipv4(_, let port), .ipv6(_, let port): return port
        }
    }

    /// The same address with another port (port 0 listeners learn theirs after bind).
    public func with(port: UInt16) -> SocketAddress {
        switch self {
        case .ipv4(let address, _): return .ipv4(address: address, port: port)
        case .ipv6(let address, _): return .ipv6(address: address, port: port)
        }
    }

    public var family: Int32 {
        switch self {
        case .ipv4: return AF_INET
        case .ipv6: return AF_INET6
        }
    }

    /// Dotted quad for IPv4 (as PHP's long2ip prints it), bracketed text for IPv6.
    public var host: String {
        switch self {
        case .ipv4(let address, _):
            return "\(address >> 24).\((address >> 16) & 0xFF).\((address >> 8) & 0xFF).\(address & 0xFF)"
        case .ipv6(let address, _):
            var raw = in6_addr()
            withUnsafeMutableBytes(of: &raw) { $0.copyBytes(from: address.prefix(16)) }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = inet_ntop(AF_INET6, &raw, &text, socklen_t(text.count))
            let length = text.firstIndex(of: 0) ?? text.count
            return "[" + String(decoding: text[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) + "]"
        }
    }

    public var description: String { "\(host):\(port)" }

    /// Calls `body` with this address as a `sockaddr` of the right length.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch self {
        case .ipv4(let address, let port):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = address.bigEndian
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6(let address, let port):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { $0.copyBytes(from: address.prefix(16)) }
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// Reads a `sockaddr_in` / `sockaddr_in6` the kernel wrote.
    init?(storage: UnsafeRawPointer) {
        let family = storage.load(as: sa_family_t.self)
        if Int32(family) == AF_INET {
            let sin = storage.loadUnaligned(as: sockaddr_in.self)
            self = .ipv4(address: UInt32(bigEndian: sin.sin_addr.s_addr), port: UInt16(bigEndian: sin.sin_port))
        } else if Int32(family) == AF_INET6 {
            var sin6 = storage.loadUnaligned(as: sockaddr_in6.self)
            let bytes = withUnsafeBytes(of: &sin6.sin6_addr) { Array($0) }
            self = .ipv6(address: bytes, port: UInt16(bigEndian: sin6.sin6_port))
        } else {
            return nil
        }
    }
}
